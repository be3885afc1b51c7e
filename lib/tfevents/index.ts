export { crc32c, maskCrc, maskedCrc32c } from "./crc32c";
export { decodeEvent, encodeEvent, scalars, stepNumber, StepRangeError, type ScalarPoint, type SummaryValue, type TfEvent } from "./events";
export { ProtoError, ProtoReader, ProtoWriter, WIRE } from "./proto";
export { DT, decodeTensor, encodeTensor, scalarOf, type TensorProto } from "./tensor";
export { encodeRecord, RecordReader, type RecordItem } from "./tfrecord";
export { encodeEventFile, eventFileName, FILE_VERSION } from "./writer";
