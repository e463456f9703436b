// Schemas of the formation, dyno and log-session routes (dynos.ts): what each accepts, with the messages
// its refusals give (the words the handlers' own checks use).
import { Type } from 'typebox';
import { AppName, Maybe, said } from '../schemas.ts';

export const TypeParams = Type.Object({ app: AppName, type: Type.String({ description: 'process type' }) });
export const DynoParams = Type.Object({ app: AppName, dyno: Type.String({ description: 'dyno name or id (or a process type)' }) });
export const FormationUpdate = Type.Object({
  type: Type.Optional(Type.String(said('type must be a process type name.'))),
  quantity: Type.Optional(Type.Union([Type.Number(), Type.String()], said('{field} must be a number of dynos (or +N / -N).'))),
  size: Maybe(Type.String(), 'size must be a dyno size name, e.g. standard-1X.'),
  dyno_size: Maybe(Type.Object({ name: Type.Optional(Type.String()) }), 'dyno_size must be {"name": "<size>"}.'),
});
const SCALE_TEXT = 'Expected {"updates": [{"type": "web", "quantity": 2, "size": "standard-1X"}]}.';
export const ScaleBody = Type.Object({ updates: Type.Array(FormationUpdate, { minItems: 1, ...said(SCALE_TEXT) }) }, said(SCALE_TEXT));
export const RunBody = Type.Object({
  command: Type.String(said('command is required, e.g. {"command": "bash"}.')),
  attach: Maybe(Type.Boolean(), 'attach must be true or false.'),
  size: Type.Optional(Type.String(said('size must be a dyno size name, e.g. standard-1X.'))),
  env: Maybe(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])), 'env must be an object of names to string values.'),
  force_no_tty: Maybe(Type.Boolean(), 'force_no_tty must be true or false.'),
  type: Type.Optional(Type.String(said('type must be a process type name (letters, digits, "-", "_").'))),
}, said('command is required, e.g. {"command": "bash"}.'));
const RESIZE_TEXT = 'columns and lines must be whole numbers.';
export const ResizeBody = Type.Object({ columns: Type.Integer(said(RESIZE_TEXT)), lines: Type.Integer(said(RESIZE_TEXT)) }, said(RESIZE_TEXT));
const LINES_TEXT = 'lines must be a whole number from 0 to 1500.';
export const LogSessionBody = Type.Object({
  lines: Maybe(Type.Union([Type.Number(), Type.String()]), LINES_TEXT),
  tail: Maybe(Type.Boolean(), 'tail must be true or false.'),
  dyno: Maybe(Type.String(), 'dyno must be a dyno name or process type.'),
  dyno_name: Maybe(Type.String(), 'dyno_name must be a dyno name.'),
  type: Maybe(Type.String(), 'type must be a process type.'),
  source: Type.Optional(Type.Union([Type.Literal('app'), Type.Literal('heroku')], said('source must be "app" or "heroku".'))),
});
