#pragma once
// The handler of the metrics listener (metrics.listen_address:listen_port, always plain HTTP,
// an HttpServer of its own): GET /metrics answers the registry in the Prometheus text format
// 0.0.4; any other method on /metrics is 405, any other path 404 (JSON errors like the main
// API). Nothing here needs credentials: the listener is meant for a private network or a
// NetworkPolicy, and metrics carry no secrets (public keys are never labels).
#include "api/http_server.hpp"
#include "metrics/registry.hpp"

namespace cc::api {

// `registry` must outlive the server using the handler.
Handler metrics_handler(const metrics::Registry& registry);

}  // namespace cc::api
