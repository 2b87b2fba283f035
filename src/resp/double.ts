// Double replies as Redis 7.0 formats them (addReplyDouble: "%.17g", "inf"/"-inf").
export { formatDouble17g as formatDouble } from "../../native-free/float_format.ts";
