#include "controller/controller.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <charconv>
#include <fstream>
#include <thread>

#include "tee/egress.hpp"
#include "tee/forwarder.hpp"

namespace cc::controller {

namespace {

Result<std::uint32_t> number(std::string_view text, std::uint32_t max, const std::string& what) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v == 0 || v > max) {
    return Error::invalid(what + ": '" + std::string(text) + "' is not a port from 1 to " + std::to_string(max));
  }
  return v;
}

}  // namespace

Result<std::vector<IngressMapping>> parse_ingress(std::string_view text) {
  std::vector<IngressMapping> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const auto colon = item.find(':');
    const std::string where = "ingress '" + std::string(item) + "'";
    auto tcp = number(item.substr(0, colon), 65535, where);
    if (!tcp) return tcp.error();
    auto vsock = colon == std::string_view::npos ? tcp : number(item.substr(colon + 1), 0xFFFFFFFEu, where);
    if (!vsock) return vsock.error();
    for (const auto& m : out) {
      if (m.tcp_port == *tcp) return Error::invalid(where + ": TCP port " + std::to_string(*tcp) + " is listed twice");
    }
    out.push_back({static_cast<std::uint16_t>(*tcp), *vsock});
  }
  return out;
}

bool Controller::wait_stopped(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, d, [this] { return stopping_; });
}

void Controller::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

Status Controller::run() {
  tee::PipeThread pipes;
  auto proxies = tee::start_parent_proxies(pipes.io(), options_.egress);
  if (!proxies) return proxies.error();

  auto enclave = cli_.run_enclave(options_.enclave);
  if (!enclave) return enclave.error();
  spdlog::info("controller: enclave {} started (CID {}, {} CPUs, {} MiB)", enclave->id, enclave->cid,
               options_.enclave.cpu_count, options_.enclave.memory_mib);
  {
    std::ofstream id_file(options_.enclave_id_file, std::ios::trunc);
    id_file << enclave->id << "\n";
    if (!id_file) spdlog::warn("controller: cannot record the enclave id in {}", options_.enclave_id_file);
  }
  auto fail = [&](const Error& e) -> Status {
    if (auto t = cli_.terminate_enclave(enclave->id); !t) spdlog::error("controller: {}", t.error().message);
    return e;
  };

  std::vector<std::unique_ptr<tee::Forwarder>> ingress;
  for (const auto& m : options_.ingress) {
    auto f = std::make_unique<tee::Forwarder>(pipes.io(), tee::SocketAddress::tcp(options_.listen_address, m.tcp_port),
                                              tee::SocketAddress::vsock(enclave->cid, m.vsock_port));
    if (auto ok = f->start(); !ok) return fail(ok.error());
    ingress.push_back(std::move(f));
  }

  // IRSA: the token's text travels with the configuration, and again whenever it changes.
  std::string token_sent;
  auto read_token = [&]() -> std::optional<std::string> {
    std::ifstream in(options_.web_identity_token_file, std::ios::binary);
    if (!in.is_open()) return std::nullopt;
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) return std::nullopt;
    return text;
  };
  tee::BootPackage boot = options_.boot;
  if (!options_.web_identity_token_file.empty()) {
    auto token = read_token();
    if (!token) {
      return fail(Error::unavailable("cannot read the web identity token " + options_.web_identity_token_file +
                                     " (AWS_WEB_IDENTITY_TOKEN_FILE)"));
    }
    boot.web_identity_token = token_sent = std::move(*token);
  }

  // Hand over the configuration, looking between attempts whether the enclave is still there
  // (one that dies while booting must not keep the pod waiting for the whole boot timeout).
  const auto boot_deadline = std::chrono::steady_clock::now() + options_.boot_timeout;
  const auto boot_address = tee::SocketAddress::vsock(enclave->cid, options_.boot_port);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(boot_deadline - std::chrono::steady_clock::now());
    auto sent = tee::send_boot_package(boot_address, boot, std::min(left, std::chrono::milliseconds(2000)));
    if (sent) break;
    if (sent.error().kind != Error::Kind::unavailable || left <= std::chrono::milliseconds(2000)) return fail(sent.error());
    if (wait_stopped(std::chrono::milliseconds(0))) return fail(Error::unavailable("stopped while the enclave was booting"));
    auto list = cli_.describe_enclaves();
    if (list && std::none_of(list->begin(), list->end(), [&](const EnclaveInfo& e) { return e.id == enclave->id; })) {
      return Error::unavailable("the enclave " + enclave->id + " is gone (it stopped while booting)");
    }
  }
  spdlog::info("controller: the enclave took its configuration; watching it every {} ms",
               options_.watch_interval.count());

  while (!wait_stopped(options_.watch_interval)) {
    auto list = cli_.describe_enclaves();
    if (!list) {
      spdlog::warn("controller: {}", list.error().message);
      continue;  // nitro-cli hiccup: the next look decides
    }
    const auto it = std::find_if(list->begin(), list->end(), [&](const EnclaveInfo& e) { return e.id == enclave->id; });
    if (it == list->end()) return Error::unavailable("the enclave " + enclave->id + " is gone");
    if (it->state != "RUNNING") return fail(Error::unavailable("the enclave " + enclave->id + " is " + it->state));
    if (!options_.web_identity_token_file.empty()) {
      auto token = read_token();
      if (token && *token != token_sent) {
        tee::BootPackage renewal;
        renewal.web_identity_token = *token;
        if (auto sent = tee::send_boot_package(boot_address, renewal, std::chrono::seconds(5)); sent) {
          token_sent = std::move(*token);
          spdlog::info("controller: the renewed web identity token was handed to the enclave");
        } else {
          spdlog::warn("controller: handing the renewed web identity token to the enclave failed (next try in {} ms): {}",
                       options_.watch_interval.count(), sent.error().message);
        }
      }
    }
  }
  spdlog::info("controller: stopping; terminating enclave {}", enclave->id);
  if (auto t = cli_.terminate_enclave(enclave->id); !t) return t;
  std::remove(options_.enclave_id_file.c_str());
  return {};
}

Status stop_enclave(const std::string& nitro_cli, const std::string& enclave_id_file) {
  std::string id;
  std::ifstream in(enclave_id_file);
  std::getline(in, id);
  return NitroCli(nitro_cli).terminate_enclave(id);
}

}  // namespace cc::controller
