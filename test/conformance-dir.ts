// Where the tests find libvirt's conformance corpus (test data we read, never copy): beside
// the checkout as ../shared/conformance, or wherever QDC_CONFORMANCE_DIR says.
import { join } from 'node:path';

export const CONFORMANCE_DIR = process.env.QDC_CONFORMANCE_DIR ?? join(import.meta.dirname, '../../shared/conformance');
