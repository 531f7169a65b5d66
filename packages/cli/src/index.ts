// @autocloud/cli: the `autocloud` command, and what the end-to-end tests share with it: the demo compose and its
// productmd writer, the local compose server, rule combining.
export { runCli, COMMANDS } from './cli.js';
export { type CliIo } from './context.js';
export { CliError, UsageError } from './errors.js';
export {
  DEMO_SHORT,
  DEMO_SUBVARIANT,
  DEMO_VARIANT,
  nextDemoRespin,
  writeDemoCompose,
  type DemoCompose,
  type DemoComposeOptions,
} from './demo/demo-compose.js';
export { readTestImage, type DemoImage, type DemoImageArtifact, type ImageType } from './demo/test-image.js';
export {
  composeDate,
  composeIdFor,
  composeInfoDocument,
  imageEntry,
  imagesDocument,
  productmdJson,
  PRODUCTMD_VERSION,
  type ComposeIdentity,
  type ComposeInfoDocument,
  type ComposeType,
  type ImageEntryInput,
  type ImagesDocument,
  type ProductmdImageEntry,
  type VariantInput,
} from './productmd/productmd.js';
export {
  serveComposes,
  startComposeServer,
  type ComposeServer,
  type ComposeServerOptions,
} from './compose/compose-server.js';
export { combineRules, SHIPPED_RULES } from './up/rules.js';
