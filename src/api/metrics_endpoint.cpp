#include "api/metrics_endpoint.hpp"

namespace cc::api {

namespace http = boost::beast::http;

Handler metrics_handler(const metrics::Registry& registry) {
  return [&registry](HttpRequest&& request, Respond respond) {
    std::string_view path = request.target();
    path = path.substr(0, path.find('?'));
    if (path != "/metrics") {
      return respond(error_response(404, "no such endpoint: " + std::string(path) + " (metrics are at GET /metrics)"));
    }
    if (request.method() != http::verb::get) {
      auto res = error_response(405, "use GET /metrics");
      res.set(http::field::allow, "GET");
      return respond(std::move(res));
    }
    HttpResponse res{http::status::ok, request.version()};
    res.set(http::field::content_type, metrics::kContentType);
    res.set(http::field::cache_control, "no-store");
    res.body() = registry.expose();
    res.prepare_payload();
    respond(std::move(res));
  };
}

}  // namespace cc::api
