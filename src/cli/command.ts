// How a CLI command is declared: static flags and args (so help is generated from them) and a run function.

import type { ApiClient } from './api.ts';
import type { Ui } from './ux.ts';

interface FlagBase {
  /** Single-letter form: `a` for `-a`. */
  char?: string;
  /** Other names accepted for the same flag: long (`ps`) or single-letter (`p`). */
  aliases?: string[];
  description: string;
  /** Left out of help (still accepted). */
  hidden?: boolean;
}

export interface BooleanFlag extends FlagBase {
  kind: 'boolean';
}

/** `T` is the value type the command sees: `string` with a default, `string | undefined` without. */
export interface StringFlag<T = string | undefined> extends FlagBase {
  kind: 'string';
  /** Placeholder in help: `--app=APP`. */
  helpValue?: string;
  default?: string;
  /** Phantom: carries the value type only. */
  readonly __value?: T;
}

export interface IntegerFlag<T = number | undefined> extends FlagBase {
  kind: 'integer';
  helpValue?: string;
  default?: number;
  readonly __value?: T;
}

export type FlagDef = BooleanFlag | StringFlag<string> | StringFlag<string | undefined> | IntegerFlag<number> | IntegerFlag<number | undefined>;
export type FlagDefs = Record<string, FlagDef>;

export type FlagValue<D> = D extends BooleanFlag
  ? boolean
  : D extends StringFlag<infer T>
    ? T
    : D extends IntegerFlag<infer T>
      ? T
      : never;

export type FlagValues<F extends FlagDefs> = { [K in keyof F]: FlagValue<F[K]> };

type StringOpts = Omit<StringFlag, 'kind' | 'default' | '__value'>;
type IntegerOpts = Omit<IntegerFlag, 'kind' | 'default' | '__value'>;

function string(o: StringOpts & { default: string }): StringFlag<string>;
function string(o: StringOpts): StringFlag<string | undefined>;
function string(o: StringOpts & { default?: string }): FlagDef {
  return { kind: 'string', ...o };
}

function integer(o: IntegerOpts & { default: number }): IntegerFlag<number>;
function integer(o: IntegerOpts): IntegerFlag<number | undefined>;
function integer(o: IntegerOpts & { default?: number }): FlagDef {
  return { kind: 'integer', ...o };
}

export const flag = {
  boolean: (o: Omit<BooleanFlag, 'kind'>): BooleanFlag => ({ kind: 'boolean', ...o }),
  string,
  integer,
};

/** The flags most commands share, spelled as the heroku CLI spells them. */
export const appFlags = {
  app: flag.string({ char: 'a', helpValue: 'APP', description: 'app to run command against' }),
  remote: flag.string({ char: 'r', helpValue: 'REMOTE', description: 'git remote of app to use' }),
};
export const jsonFlag = flag.boolean({ description: 'output in json format' });

export interface ArgDef {
  name: string;
  description: string;
  required?: boolean;
}

export interface Context<F extends FlagDefs> {
  flags: FlagValues<F>;
  /** Declared args by name. */
  args: Record<string, string | undefined>;
  /** Every positional value in order, including those past the declared args (variadic commands). */
  argv: string[];
  api: ApiClient;
  ui: Ui;
  /** The API base, e.g. `http://localhost:5000`. */
  host: URL;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The app to act on: -a/--app, SLIPWAY_APP, then the git remotes (narrowed by -r/--remote). */
  app(): Promise<string>;
  /** Every command, for help. */
  commands: readonly Command[];
}

export interface CommandDef<F extends FlagDefs> {
  id: string;
  /** First line is the summary shown in listings; the rest is shown by `help <command>`. */
  description: string;
  aliases?: string[];
  args?: ArgDef[];
  /** Positional values past the declared args are allowed (`config:set K=V ...`). */
  variadic?: boolean;
  /** Unknown `-x` tokens are positional values too (`run:detached ls -la`); implies variadic. */
  passthrough?: boolean;
  flags: F;
  examples?: string[];
  run(ctx: Context<F>): Promise<void>;
}

/** The type-erased form the registry, parser and help work with. */
export interface Command {
  id: string;
  description: string;
  aliases: string[];
  args: ArgDef[];
  variadic: boolean;
  passthrough: boolean;
  flags: FlagDefs;
  examples: string[];
  run(ctx: Context<FlagDefs>): Promise<void>;
}

export function defineCommand<F extends FlagDefs>(def: CommandDef<F>): Command {
  return {
    id: def.id,
    description: def.description,
    aliases: def.aliases ?? [],
    args: def.args ?? [],
    variadic: def.variadic === true || def.passthrough === true,
    passthrough: def.passthrough === true,
    flags: def.flags,
    examples: def.examples ?? [],
    run: def.run as unknown as (ctx: Context<FlagDefs>) => Promise<void>,
  };
}
