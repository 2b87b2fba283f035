// Adds a fresh master key to an encryption-at-rest key file and makes it current:
//   bun scripts/rotate-key.ts [path]   (default ./data/master.key)
// New log segments and snapshots are sealed with it (a running server picks it up at its next file);
// files sealed under older keys stay readable as long as those keys stay in the file.
import { FileKeyProvider } from "../src/log/keys.ts";

const path = process.argv[2] ?? "./data/master.key";
const p = new FileKeyProvider(path);
const id = p.rotate();
console.log(`${path}: new current master key ${id}`);
