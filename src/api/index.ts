/** The management API: REST, OpenAPI, events over WebSocket and Prometheus metrics. */
export {
  API_PREFIX,
  ApiConfigurationError,
  type ApiServer,
  type ApiServerOptions,
  createApiServer,
  EVENTS_PATH,
  OPENAPI_PATH,
  TRACE_PATH,
} from './api-server.js';
export type {
  CallView,
  ConnectionView,
  EndpointView,
  EventSource,
  MetricsSources,
  RegistrationView,
  RuntimeViews,
  ServerEvent,
  SipMessageCount,
  SipMessageStats,
  SipResponseCount,
  TraceEntry,
  TraceSource,
  TransactionStats,
  TrunkView,
} from './sources.js';
