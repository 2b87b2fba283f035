// Every command group, in the fixed order that assigns command ids (see registry.ts).

import type { CommandSpec } from "./spec.ts";
import { connectionCommands } from "./connection.ts";
import { serverCommands } from "./server.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { listCommands } from "./lists.ts";
import { pubsubCommands } from "./pubsub.ts";
import { transactionCommands } from "./transactions.ts";
import { bitmapCommands } from "./bitmaps.ts";
import { hyperloglogCommands } from "./hyperloglog.ts";
import { sortCommands } from "./sort.ts";
import { zsetCommands } from "./zsets.ts";
import { geoCommands } from "./geo.ts";
import { streamCommands } from "./streams.ts";
import { hashCommands } from "./hashes.ts";
import { setCommands } from "./sets.ts";
import { persistenceCommands } from "./persistence.ts";
import { aclCommands } from "./acl.ts";

export const groups: CommandSpec[][] = [connectionCommands, serverCommands, stringCommands, keyCommands, transactionCommands, bitmapCommands, hyperloglogCommands, sortCommands, zsetCommands, geoCommands, pubsubCommands, streamCommands, hashCommands, setCommands, listCommands, persistenceCommands, aclCommands];
