// src/arch: Intel SDM VMX facts as typed data. Every other layer reads its
// exit reasons, VMCS encodings, control bits, error numbers and formats from
// here. Nothing in this directory has side effects beyond building lookup
// tables at load time.
export * from './names';
export * from './exit-reasons';
export * from './vmcs-fields';
export * from './controls';
export * from './vm-instruction-errors';
export * from './msrs';
export * from './x86';
export * from './events';
export * from './exit-qualification';
export * from './ept';
