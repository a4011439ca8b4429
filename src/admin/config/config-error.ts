/** One problem in a configuration file, located for the person who has to fix it. */
export interface ConfigError {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Where in the configuration, e.g. `phones[0].lines[1]`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

/** `demo.yaml:12:5: phones[0].lines[1]: line 205 is not defined`, as compilers print errors. */
export function formatConfigError(error: ConfigError): string {
  const where = `${error.file}:${error.line}:${error.column}`;
  return error.path ? `${where}: ${error.path}: ${error.message}` : `${where}: ${error.message}`;
}
