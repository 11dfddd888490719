#include "tee/egress.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

namespace cc::tee {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// RFC 1123 host name: labels of letters, digits and '-', not starting or ending with '-'.
bool is_dns_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto dot = name.find('.', start);
    const auto label = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (unsigned char c : label) {
      if (std::isalnum(c) == 0 && c != '-') return false;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return true;
}

std::string entry_name(std::size_t i, const EgressEndpoint& e) {
  return "tee.nitro.egress.endpoints[" + std::to_string(i) + "]" + (e.hostname.empty() ? "" : " (" + e.hostname + ")");
}

template <typename Start>
Result<std::vector<std::unique_ptr<Forwarder>>> start_all(const std::vector<EgressEndpoint>& endpoints, Start make) {
  if (auto ok = validate_egress(endpoints); !ok) return ok.error();
  std::vector<std::unique_ptr<Forwarder>> out;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    auto f = make(endpoints[i]);
    if (auto ok = f->start(); !ok) {
      for (auto& started : out) started->stop();
      return Error{ok.error().kind, entry_name(i, endpoints[i]) + ": " + ok.error().message};
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

Status validate_egress(const std::vector<EgressEndpoint>& endpoints) {
  std::set<std::string> hostnames, loopbacks;
  std::set<std::uint32_t> vsock_ports;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const auto& e = endpoints[i];
    const auto name = entry_name(i, e);
    if (!is_dns_name(e.hostname)) {
      return Error::invalid(name + ": hostname '" + e.hostname + "' is not a DNS name");
    }
    if (e.port == 0) return Error::invalid(name + ": port must be 1-65535");
    in_addr a{};
    if (::inet_pton(AF_INET, e.loopback.c_str(), &a) != 1) {
      return Error::invalid(name + ": loopback '" + e.loopback + "' is not an IPv4 address (expected 127.x.y.z)");
    }
    const std::uint32_t host_order = ntohl(a.s_addr);
    if ((host_order >> 24) != 127 || host_order == 0x7F000000u || host_order == 0x7FFFFFFFu) {
      return Error::invalid(name + ": loopback '" + e.loopback + "' is not a usable address in 127.0.0.0/8");
    }
    if (e.vsock_port == 0 || e.vsock_port == 0xFFFFFFFFu) {
      return Error::invalid(name + ": vsock_port must be set (the parent's proxy for this endpoint listens there)");
    }
    if (!hostnames.insert(lower(e.hostname)).second) {
      return Error::invalid(name + ": hostname '" + e.hostname + "' is listed twice");
    }
    if (!loopbacks.insert(e.loopback).second) {
      return Error::invalid(name + ": loopback " + e.loopback + " is used by another entry; each needs its own");
    }
    if (!vsock_ports.insert(e.vsock_port).second) {
      return Error::invalid(name + ": vsock_port " + std::to_string(e.vsock_port) +
                            " is used by another entry; each needs its own");
    }
  }
  return {};
}

const EgressEndpoint* find_egress(const std::vector<EgressEndpoint>& endpoints, const std::string& hostname) {
  const auto want = lower(hostname);
  for (const auto& e : endpoints) {
    if (lower(e.hostname) == want) return &e;
  }
  return nullptr;
}

std::string hosts_file_text(const std::vector<EgressEndpoint>& endpoints) {
  std::string out = "# Written by containment-chamber (tee.nitro.egress.endpoints)\n127.0.0.1 localhost\n::1 localhost\n";
  for (const auto& e : endpoints) out += e.loopback + " " + e.hostname + "\n";
  return out;
}

Status write_hosts_file(const std::filesystem::path& path, const std::vector<EgressEndpoint>& endpoints) {
  if (auto ok = validate_egress(endpoints); !ok) return ok;
  const auto tmp = path.string() + ".cc-tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << hosts_file_text(endpoints);
    out.flush();
    if (!out) return Error::unavailable("cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0644);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Error::unavailable("cannot replace " + path.string() + ": " + ec.message());
  }
  return {};
}

Result<std::vector<std::unique_ptr<Forwarder>>> start_egress_forwarders(boost::asio::io_context& io,
                                                                       const std::vector<EgressEndpoint>& endpoints,
                                                                       std::uint32_t parent_cid) {
  return start_all(endpoints, [&](const EgressEndpoint& e) {
    return std::make_unique<Forwarder>(io, SocketAddress::tcp(e.loopback, e.port),
                                       SocketAddress::vsock(parent_cid, e.vsock_port));
  });
}

Result<std::vector<std::unique_ptr<Forwarder>>> start_parent_proxies(boost::asio::io_context& io,
                                                                    const std::vector<EgressEndpoint>& endpoints) {
  return start_all(endpoints, [&](const EgressEndpoint& e) {
    return std::make_unique<Forwarder>(io, SocketAddress::vsock(kVsockAnyCid, e.vsock_port),
                                       SocketAddress::tcp(e.hostname, e.port));
  });
}

}  // namespace cc::tee
