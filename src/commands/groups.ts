// Every command group, in the fixed order that assigns command ids (see registry.ts).

import type { CommandSpec } from "./spec.ts";
import { connectionCommands } from "./connection.ts";
import { serverCommands } from "./server.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { persistenceCommands } from "./persistence.ts";

export const groups: CommandSpec[][] = [connectionCommands, serverCommands, stringCommands, keyCommands, persistenceCommands];
