#pragma once
// Egress from the enclave (`tee.nitro.egress.endpoints`). An enclave has no network: each outside
// service it needs (KMS, DynamoDB, STS, PostgreSQL) gets one entry {hostname, port, loopback,
// vsock_port}. Inside, /etc/hosts maps the hostname to its own loopback address and a Forwarder on
// loopback:port carries every connection over vsock to the parent (CID 3) at vsock_port, where the
// parent's proxy for that entry connects to hostname:port and nothing else. Clients inside keep
// using the real hostname, so TLS (SNI, certificate names) runs end to end unchanged.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"
#include "tee/forwarder.hpp"

namespace cc::tee {

// {hostname, port (443), loopback (127.x.y.z, one per entry), vsock_port (the parent's proxy)},
// as the configuration reads it.
using EgressEndpoint = EgressEndpointConfig;

// Every entry well formed (a DNS name; a port; a loopback in 127.0.0.0/8 other than its network
// and broadcast addresses; a vsock port), no two entries with the same hostname, loopback or vsock
// port. The error names the entry ("tee.nitro.egress.endpoints[2] (kms.us-east-1.amazonaws.com)")
// and the rule.
Status validate_egress(const std::vector<EgressEndpoint>& endpoints);

// The entry for `hostname` (case-insensitive), if any.
const EgressEndpoint* find_egress(const std::vector<EgressEndpoint>& endpoints, const std::string& hostname);

// The enclave's /etc/hosts: localhost lines, then one "<loopback> <hostname>" line per entry.
std::string hosts_file_text(const std::vector<EgressEndpoint>& endpoints);
// Writes it atomically (temporary file + rename) with mode 0644.
Status write_hosts_file(const std::filesystem::path& path, const std::vector<EgressEndpoint>& endpoints);

// The enclave-side forwarders: loopback:port → vsock:<parent_cid>:vsock_port, one per entry,
// started on `io`. Errors name the entry that could not listen; nothing is left running then.
Result<std::vector<std::unique_ptr<Forwarder>>> start_egress_forwarders(boost::asio::io_context& io,
                                                                       const std::vector<EgressEndpoint>& endpoints,
                                                                       std::uint32_t parent_cid = kParentCid);

// The parent-side proxies: vsock:any:vsock_port → hostname:port, one per entry.
Result<std::vector<std::unique_ptr<Forwarder>>> start_parent_proxies(boost::asio::io_context& io,
                                                                    const std::vector<EgressEndpoint>& endpoints);

}  // namespace cc::tee
