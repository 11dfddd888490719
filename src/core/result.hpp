#pragma once
// Result<T>: a value or an Error, for code paths where failure is expected (bad input,
// refused requests, unavailable storage). Exceptions are kept for programming errors and
// start-up failures.
#include <string>
#include <utility>
#include <variant>

namespace cc {

// What went wrong, in the words an operator or client needs. `kind` decides the HTTP status
// at the API edge; `message` names the field, file or rule concerned.
struct Error {
  enum class Kind {
    invalid_argument,  // malformed input: 400
    not_found,         // unknown key or resource: 404
    unauthenticated,   // missing, unknown or expired credentials: 401
    forbidden,         // refused by policy (wrong network, canary, ...): 403
    conflict,          // the resource exists already, or is still in use: 409
    refused,           // refused by anti-slashing: 412
    unavailable,       // storage down, overloaded: 503
    internal,          // a bug or an unexpected system failure: 500
  };
  Kind kind = Kind::internal;
  std::string message;

  static Error invalid(std::string m) { return {Kind::invalid_argument, std::move(m)}; }
  static Error not_found(std::string m) { return {Kind::not_found, std::move(m)}; }
  static Error unauthenticated(std::string m) { return {Kind::unauthenticated, std::move(m)}; }
  static Error forbidden(std::string m) { return {Kind::forbidden, std::move(m)}; }
  static Error conflict(std::string m) { return {Kind::conflict, std::move(m)}; }
  static Error unavailable(std::string m) { return {Kind::unavailable, std::move(m)}; }
  static Error internal(std::string m) { return {Kind::internal, std::move(m)}; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace cc
