import { createFlightdeckApi } from '../api/flightdeck-api.ts';

/** The console's one API client; hooks wrap it, components never call fetch themselves. */
export const api = createFlightdeckApi();
