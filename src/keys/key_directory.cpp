#include "keys/key_directory.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace cc::keys {
namespace fs = std::filesystem;

namespace {

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// Canonical form used to match descriptor references against bulk keystores; falls back to
// the lexical form when the file does not exist (the loader then reports it missing).
fs::path identity(const fs::path& p) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal() : canonical;
}

// Bad input inside one YAML document.
struct DescriptorError {
  std::string reason;
};

std::string scalar(const YAML::Node& doc, const char* key) {
  const YAML::Node v = doc[key];
  if (!v) throw DescriptorError{std::string("missing field '") + key + "'"};
  if (!v.IsScalar()) throw DescriptorError{std::string("field '") + key + "' must be a string"};
  return v.Scalar();
}

fs::path resolve(const fs::path& descriptor_dir, const std::string& value) {
  const fs::path p(value);
  return p.is_absolute() ? p : descriptor_dir / p;
}

KeyJob parse_document(const YAML::Node& doc, const fs::path& descriptor) {
  if (!doc.IsMap()) throw DescriptorError{"expected a mapping with a 'type' field"};
  if (const YAML::Node key_type = doc["keyType"]; key_type) {
    if (!key_type.IsScalar() || key_type.Scalar() != "BLS") {
      throw DescriptorError{"unsupported keyType (only BLS is supported)"};
    }
  }
  const std::string type = scalar(doc, "type");
  KeyJob job;
  job.file = descriptor.string();
  if (const YAML::Node canary = doc["canary"]; canary) {
    bool value = false;
    if (!canary.IsScalar() || !YAML::convert<bool>::decode(canary, value)) {
      throw DescriptorError{"field 'canary' must be true or false"};
    }
    job.canary = value;
  }
  if (type == "file-keystore") {
    job.kind = KeyJob::Kind::keystore;
    job.keystore_file = resolve(descriptor.parent_path(), scalar(doc, "keystoreFile"));
    job.password_file = resolve(descriptor.parent_path(), scalar(doc, "keystorePasswordFile"));
    return job;
  }
  if (type == "file-raw") {
    job.kind = KeyJob::Kind::raw;
    const YAML::Node v = doc["privateKey"];
    if (!v || !v.IsScalar()) throw DescriptorError{"missing field 'privateKey'"};
    // The error from hex parsing names lengths and digits, never the key text.
    auto secret = from_hex_fixed<32>(v.Scalar());
    if (!secret) throw DescriptorError{"privateKey: " + secret.error().message};
    job.raw_secret = SecretBytes<32>(*secret);
    secure_zero(secret->data(), secret->size());
    return job;
  }
  throw DescriptorError{"unsupported type '" + type + "' (supported: file-keystore, file-raw)"};
}

void scan_descriptor(const fs::path& descriptor, DirectoryScan& out, std::set<fs::path>& referenced) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAllFromFile(descriptor.string());
  } catch (const YAML::BadFile&) {
    out.failures.push_back({descriptor.string(), "cannot read file"});
    return;
  } catch (const YAML::Exception& e) {
    // e.msg + mark position; yaml-cpp does not quote document content in parser errors.
    out.failures.push_back({descriptor.string(), "invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg});
    return;
  }
  const bool multi = docs.size() > 1;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].IsNull()) continue;  // an empty document, e.g. a trailing '---'
    const std::string where = multi ? "document " + std::to_string(i + 1) : "";
    try {
      KeyJob job = parse_document(docs[i], descriptor);
      job.where = where;
      if (job.kind == KeyJob::Kind::keystore) referenced.insert(identity(job.keystore_file));
      out.jobs.push_back(std::move(job));
    } catch (const DescriptorError& e) {
      out.failures.push_back({descriptor.string(), where.empty() ? e.reason : where + ": " + e.reason});
    } catch (const YAML::Exception& e) {
      out.failures.push_back({descriptor.string(), (where.empty() ? "" : where + ": ") + e.msg});
    }
  }
}

}  // namespace

DirectoryScan scan_key_directory(const fs::path& directory) {
  DirectoryScan out;
  std::error_code ec;
  const fs::file_status status = fs::status(directory, ec);
  if (ec || !fs::exists(status)) {
    out.failures.push_back({directory.string(), "key directory does not exist"});
    out.listed = false;
    return out;
  }
  if (!fs::is_directory(status)) {
    out.failures.push_back({directory.string(), "not a directory"});
    out.listed = false;
    return out;
  }

  std::vector<fs::path> descriptors;
  std::vector<fs::path> keystores;
  fs::directory_iterator it(directory, ec);
  if (ec) {
    out.failures.push_back({directory.string(), "cannot list directory: " + ec.message()});
    out.listed = false;
    return out;
  }
  for (const fs::directory_entry& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.front() == '.') continue;
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) continue;  // follows symlinks (Kubernetes secrets)
    const std::string ext = lower_extension(entry.path());
    if (ext == ".yaml" || ext == ".yml") descriptors.push_back(entry.path());
    if (ext == ".json") keystores.push_back(entry.path());
  }
  // Directory order is arbitrary; sorted order makes reports and logs reproducible.
  std::sort(descriptors.begin(), descriptors.end());
  std::sort(keystores.begin(), keystores.end());

  std::set<fs::path> referenced;
  for (const fs::path& d : descriptors) scan_descriptor(d, out, referenced);

  for (const fs::path& keystore : keystores) {
    if (referenced.count(identity(keystore))) continue;
    fs::path password = keystore;
    password.replace_extension(".txt");
    std::error_code pw_ec;
    if (!fs::is_regular_file(password, pw_ec)) {
      out.failures.push_back({keystore.string(), "missing password file " + password.filename().string()});
      continue;
    }
    KeyJob job;
    job.kind = KeyJob::Kind::keystore;
    job.file = keystore.string();
    job.keystore_file = keystore;
    job.password_file = password;
    out.jobs.push_back(std::move(job));
  }
  return out;
}

}  // namespace cc::keys
