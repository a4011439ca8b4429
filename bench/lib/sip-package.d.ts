/** The npm `sip` package ships no types; the benchmark uses only its parser. */
declare module 'sip' {
  const sip: {
    /** Parses one whole message; undefined when it cannot. */
    parse(data: Buffer | string): object | undefined;
  };
  export default sip;
}
