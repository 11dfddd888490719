#include "seal/state_machine.hpp"

#include <array>
#include <utility>

namespace cc::seal {

namespace {

constexpr std::array<std::pair<State, std::string_view>, 6> kStates = {{
    {State::uninitialized, "uninitialized"},
    {State::awaiting_registration, "awaiting_registration"},
    {State::sealed, "sealed"},
    {State::kms_unsealed, "kms_unsealed"},
    {State::unsealed, "unsealed"},
    {State::awaiting_rotation, "awaiting_rotation"},
}};

struct Edge {
  State from;
  Event event;
  State to;
};

constexpr std::array<Edge, 12> kEdges = {{
    {State::uninitialized, Event::init_kms_only, State::unsealed},
    {State::uninitialized, Event::init_quorum, State::awaiting_registration},
    {State::awaiting_registration, Event::all_registered, State::sealed},
    {State::sealed, Event::kms_reconstructed, State::unsealed},
    {State::sealed, Event::kms_decrypted, State::kms_unsealed},
    {State::kms_unsealed, Event::threshold_reached, State::unsealed},
    {State::unsealed, Event::seal, State::sealed},
    {State::awaiting_rotation, Event::seal, State::sealed},
    {State::kms_unsealed, Event::seal, State::sealed},
    {State::unsealed, Event::rotation_started, State::awaiting_rotation},
    {State::awaiting_rotation, Event::rotation_finished, State::unsealed},
    {State::sealed, Event::reset, State::uninitialized},
}};

// What an operator should do next in `s`, for refusals.
std::string_view hint(State s) {
  switch (s) {
    case State::uninitialized:
      return "run operator init first";
    case State::awaiting_registration:
      return "every operator must run operator register first";
    case State::sealed:
      return "unseal it first";
    case State::kms_unsealed:
      return "operators must submit their passphrases (operator unseal)";
    case State::unsealed:
      return "it is already operational";
    case State::awaiting_rotation:
      return "finish the rotation first";
  }
  return "";
}

}  // namespace

std::string_view state_name(State s) {
  for (const auto& [state, name] : kStates) {
    if (state == s) return name;
  }
  return "unknown";
}

std::optional<State> parse_state(std::string_view name) {
  for (const auto& [state, text] : kStates) {
    if (text == name) return state;
  }
  return std::nullopt;
}

std::string_view event_name(Event e) {
  switch (e) {
    case Event::init_kms_only:
      return "init (KMS-only)";
    case Event::init_quorum:
      return "init (operator quorum)";
    case Event::all_registered:
      return "complete the registration";
    case Event::kms_reconstructed:
      return "unseal with KMS";
    case Event::kms_decrypted:
      return "decrypt the KMS layer";
    case Event::threshold_reached:
      return "unseal with the operators' shares";
    case Event::seal:
      return "seal";
    case Event::rotation_started:
      return "start a rotation";
    case Event::rotation_finished:
      return "finish a rotation";
    case Event::reset:
      return "reset";
  }
  return "?";
}

bool signing_allowed(State s) { return s == State::unsealed || s == State::awaiting_rotation; }

Result<State> transition(State from, Event e) {
  for (const auto& edge : kEdges) {
    if (edge.from == from && edge.event == e) return edge.to;
  }
  return Error::conflict("cannot " + std::string(event_name(e)) + ": the chamber is " + std::string(state_name(from)) +
                         " (" + std::string(hint(from)) + ")");
}

}  // namespace cc::seal
