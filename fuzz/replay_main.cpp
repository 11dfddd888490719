// The driver of a fuzz target in ordinary builds (GCC, no libFuzzer): runs the target once on
// every file given (directories are walked), so the seed corpora and every input that once
// crashed a target (fuzz/regressions/<target>/) are replayed by ctest on each build. With
// CC_FUZZ=ON (clang) the same target links libFuzzer instead and this file is not used.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
int run(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  int inputs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) inputs += run(e.path());
      }
    } else if (std::filesystem::exists(p)) {
      inputs += run(p);
    } else {
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 2;
    }
  }
  std::printf("replay: %d inputs, no crash\n", inputs);
  return inputs > 0 ? 0 : 2;
}
