// The saslprep package ships no types.
declare module 'saslprep' {
  function saslprep(input: string, opts?: { allowUnassigned?: boolean }): string;
  export default saslprep;
}
