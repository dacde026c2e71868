// Types of skiff-picker/filestack-register (www/filestack-register.js; copied to dist/ by
// scripts/build-wasm.sh). The module is imported for what it does, not for what it exports:
//
//   import 'skiff-picker/filestack-register';   // Skiff's picker is filestack-js's picker from now on
//
// It exports nothing, so its types are an empty module. It declares no global either: the object it
// fills in (`window.filestackInternals`) belongs to filestack-js's loader, whose own types may
// describe it, and a second declaration here could conflict with them. For an undo, or for settings
// such as `baseUrl`, use `registerWithFilestack` from skiff-picker/filestack instead.
export {};
