// The Platform API v3 shapes the CLI reads: only the fields it uses, most optional so a sparse answer
// still prints.

export interface Account {
  id?: string;
  email: string;
}

export interface App {
  id?: string;
  name: string;
  git_url?: string;
  web_url?: string;
  owner?: { id?: string; email?: string } | null;
  region?: { name?: string } | null;
  stack?: { name?: string } | null;
  build_stack?: { name?: string } | null;
  repo_size?: number | null;
  slug_size?: number | null;
  maintenance?: boolean;
}

export interface Release {
  id?: string;
  version: number;
  description?: string;
  status?: 'succeeded' | 'pending' | 'failed' | 'expired' | string;
  current?: boolean;
  user?: { email?: string } | null;
  created_at?: string;
  addon_plan_names?: string[];
  eligible_for_rollback?: boolean;
  slug?: { id: string } | null;
  output_stream_url?: string | null;
}

export interface Build {
  id: string;
  status: 'pending' | 'succeeded' | 'failed' | string;
  user?: { email?: string } | null;
  source_blob?: { version?: string | null } | null;
  buildpacks?: { url?: string; name?: string }[] | null;
  stack?: string | { name?: string } | null;
  release?: { id: string } | null;
  slug?: { id?: string } | null;
  output_stream_url?: string | null;
  created_at?: string;
  updated_at?: string;
}

export interface Dyno {
  name: string;
  type: string;
  state: string;
  command?: string;
  size?: string;
  updated_at?: string;
  /** Slipway's addition: when a crashed dyno will be booted again. */
  restart_at?: string | null;
  /** Slipway's addition under the swarm runtime: the machine it runs on. */
  node?: string;
}

export interface Formation {
  type: string;
  quantity: number;
  size?: string;
  command?: string;
}

export interface BuildpackInstallation {
  ordinal?: number;
  buildpack: { url: string; name?: string };
}

export interface LogSession {
  logplex_url: string;
}

export interface LogDrain {
  id?: string;
  url: string;
  token: string;
  addon?: { id?: string; name?: string } | null;
  created_at?: string;
}
