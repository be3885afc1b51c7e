export * from "./analysis";
export * from "./bootstrap";
export * from "./budget";
export * from "./fit-compute";
export * from "./fit-nd";
export * from "./optimal";
export * from "./points";
export * from "./runs";
