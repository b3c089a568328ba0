// Usage errors and help: a bad flag, URL or value prints one clear line and exits 2 without
// sending anything; --help lists every subcommand and each has examples (docs/cli.md).
#include "cli/cli_json.hpp"

#include <gtest/gtest.h>

namespace httptrace::testing {
namespace {

// Nothing listens here in any test; with exit 2 nothing was sent anyway.
constexpr const char* kUrl = "http://127.0.0.1:9/";

void expect_usage_error(const std::vector<std::string>& args, const std::string& mentions) {
  CommandResult result = run_cli(args);
  std::string joined;
  for (const std::string& a : args) joined += a + " ";
  EXPECT_EQ(result.exit_code, 2) << joined << "\n" << result.out << result.err;
  EXPECT_EQ(line_count(result.err), 1u) << joined << "\n" << result.err;
  EXPECT_NE(result.err.find(mentions), std::string::npos) << joined << "\n" << result.err;
  EXPECT_EQ(result.out, "") << joined;
}

TEST(CliUsage, UnknownFlagsExitTwo) {
  expect_usage_error({"stat", "--frobnicate", kUrl}, "frobnicate");
  expect_usage_error({"load", "--frobnicate", kUrl}, "frobnicate");
  expect_usage_error({"stat", "-n", "5", kUrl}, "-n");  // load's flag, not stat's
}

TEST(CliUsage, BadUrlsExitTwo) {
  expect_usage_error({"stat", "ftp://127.0.0.1/"}, "scheme");
  expect_usage_error({"load", "ftp://127.0.0.1/"}, "scheme");
  expect_usage_error({"stat", "http://"}, "host");
  expect_usage_error({"stat", "http://[::1/"}, "[::1");
}

TEST(CliUsage, MissingUrlOrCommandExitsTwo) {
  CommandResult no_url = run_cli({"stat"});
  EXPECT_EQ(no_url.exit_code, 2);
  EXPECT_NE(no_url.err.find("url"), std::string::npos) << no_url.err;
  EXPECT_EQ(run_cli({}).exit_code, 2);
  EXPECT_EQ(run_cli({"frobnicate"}).exit_code, 2);
}

TEST(CliUsage, BadValuesExitTwo) {
  expect_usage_error({"stat", "--repeat", "0", kUrl}, "--repeat");
  expect_usage_error({"stat", "--slo", "total", kUrl}, "--slo");
  expect_usage_error({"stat", "--slo", "latency=5ms", kUrl}, "latency");
  expect_usage_error({"stat", "--slo", "total=fast", kUrl}, "fast");
  expect_usage_error({"stat", "-H", "no colon", kUrl}, "-H");
  expect_usage_error({"stat", "-4", "-6", kUrl}, "-4");
  expect_usage_error({"stat", "-o", "/nonexistent-dir/body", kUrl}, "-o");
  expect_usage_error({"load", "-c", "0", kUrl}, "-c");
  expect_usage_error({"load", "-z", "10parsecs", kUrl}, "-z");
  expect_usage_error({"load", "-q", "-5", kUrl}, "-q");
  expect_usage_error({"load", "--timeout", "soon", kUrl}, "--timeout");
  expect_usage_error({"load", "--csv", "/nonexistent-dir/rows.csv", kUrl}, "--csv");
  expect_usage_error({"load", "-n", "many", kUrl}, "--requests");
}

TEST(CliUsage, HelpListsEverySubcommandWithExamples) {
  CommandResult top = run_cli({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* command : {"stat", "events", "load", "demo"}) {
    EXPECT_NE(top.out.find(std::string("\n  ") + command), std::string::npos) << command << " in\n"
                                                                              << top.out;
    CommandResult help = run_cli({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.out.find("Example"), std::string::npos) << command << ":\n" << help.out;
    EXPECT_NE(help.out.find(std::string("httptrace ") + command), std::string::npos) << command;
  }
  EXPECT_NE(top.out.find("Exit status"), std::string::npos);
}

}  // namespace
}  // namespace httptrace::testing
