// What the page knows: the console's config, the session's events and the last stats message.

export const KEEP = 20000;   // events kept in the page; older ones are counted, the export has all

export const state = {
  config: null,
  session: 0,
  lastN: 0,
  all: [],            // events in arrival order (at most KEEP + slack)
  view: [],           // the filtered subset, in order
  held: [],           // events that arrived while paused
  dropped: 0,         // events pushed out of the page by KEEP
  received: 0,        // events received by this page in this session
  skipped: 0,         // events the server could not deliver to this page (it lagged)
  paused: false,
  follow: true,
  selected: null,
  channels: new Set(),
  events: new Set(),
  kinds: new Set(),
  filters: {channel: "", event: "", verdict: "", text: ""},
  stats: null,
};
