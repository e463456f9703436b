// App names: Heroku's rule, and Heroku-style generated names (`sharp-rain-8712`). Pure.

export const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

export function appNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'Name must be a string.';
  if (APP_NAME.test(name)) return undefined;
  return `Name ${JSON.stringify(name)} is invalid: it must start with a letter, end with a letter or digit, and can only contain lowercase letters, digits, and dashes (3 to 30 characters).`;
}

const ADJECTIVES = ['ancient', 'autumn', 'bold', 'brave', 'calm', 'cool', 'crisp', 'damp', 'dark', 'dawn', 'desolate', 'fierce',
  'floating', 'fresh', 'frosty', 'gentle', 'glacial', 'hidden', 'icy', 'late', 'lively', 'misty', 'morning', 'nameless', 'obscure',
  'old', 'patient', 'polar', 'proud', 'quiet', 'rapid', 'rough', 'shielded', 'sharp', 'shrouded', 'silent', 'snowy', 'solitary',
  'sparkling', 'spring', 'still', 'stormy', 'summer', 'sunny', 'twilight', 'wandering', 'warm', 'weathered', 'wild', 'winter'];
const NOUNS = ['bayou', 'breeze', 'brook', 'butterfly', 'cave', 'cliffs', 'cloud', 'coast', 'dawn', 'dew', 'dream', 'dusk', 'falls',
  'field', 'fire', 'flower', 'fog', 'forest', 'frost', 'glade', 'hamlet', 'harbor', 'haze', 'hill', 'island', 'lake', 'leaf', 'meadow',
  'mesa', 'mountain', 'night', 'ocean', 'peak', 'pine', 'plains', 'pond', 'rain', 'reef', 'ridge', 'river', 'sea', 'shadow', 'shore',
  'sky', 'snow', 'spire', 'star', 'stream', 'sun', 'thunder', 'tundra', 'valley', 'water', 'wave', 'wildflower', 'wind', 'wood'];

export function generateAppName(random: () => number = Math.random): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${1000 + Math.floor(random() * 9000)}`;
}
