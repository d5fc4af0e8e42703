// WGSL sources are imported as text (`with { type: "text" }`), which Bun's runtime and bundler both support.
declare module "*.wgsl" {
  const source: string;
  export default source;
}
