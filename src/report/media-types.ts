/** Attachment media types the steps use to pass facts to the report formatters. */
export const STATUS_MEDIA_TYPE = 'application/vnd.vmx-conformance.status+json';
export const COVERAGE_MEDIA_TYPE = 'application/vnd.vmx-conformance.coverage+json';
