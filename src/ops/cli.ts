/**
 * What every command-line tool of the project does alike (npm run token, audit:verify, payments): parse the
 * arguments, answer --help, load the configuration, and fail with one line and exit code 2 on a usage or
 * configuration error (exit 1 is left to each tool for "ran, and found something wrong").
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';

export interface Cli {
  /** Prints the message and where to read the usage, and exits with 2. */
  fail: (message: string) => never;
  /** The configuration from the environment, or fail with its error. */
  config: () => Config;
}

/** A tool named by its npm script (`npm run <script> -- --help` is what a failure points to). */
export function cli(script: string): Cli {
  const fail = (message: string): never => {
    console.error(`${message}\nSee: npm run ${script} -- --help`);
    process.exit(2);
  };
  return {
    fail,
    config: () => {
      try {
        return loadConfig();
      } catch (err) {
        if (err instanceof ConfigError) fail(err.message);
        throw err;
      }
    },
  };
}

/** Parses the arguments (failing on an unknown or malformed one) and answers --help with `help`. */
export function parseCliArgs<T extends ParseArgsConfig>(tool: Cli, help: string, options: T): ReturnType<typeof parseArgs<T>> {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(options);
  } catch (err) {
    return tool.fail((err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(help);
    process.exit(0);
  }
  return parsed;
}
