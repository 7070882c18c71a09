/**
 * The information one VM exit records (SDM Vol. 3C 28.2 "Recording VM-Exit Information and Updating VM-Entry
 * Control Fields"), filled by whoever causes the exit and written to the VMCS by exit/vm-exit.ts.
 * One record per logical processor, reused: no allocation per exit.
 */
/** The information a VM exit records; -1 / false means "leave the field as it is" (undefined by the SDM). */
export class ExitRecord {
  reason = 0;
  qualLo = 0;
  qualHi = 0;
  /** VM-exit interruption information, or 0 (valid bit clear) for exits not caused by vectored events. */
  intrInfo = 0;
  intrErrorCode = -1;
  instrLen = -1;
  instrInfo = -1;
  hasGuestLinear = false;
  glaLo = 0;
  glaHi = 0;
  hasGuestPhysical = false;
  gpaLo = 0;
  gpaHi = 0;
  /** IDT-vectoring information (28.2.4), 0 when the exit did not interrupt event delivery. */
  idtInfo = 0;
  idtErrorCode = -1;
  /** The exit blocks NMIs in root operation (an NMI VM exit with "virtual NMIs" = 0, 28.5 / 26.7.1). */
  blockNmi = false;
}

