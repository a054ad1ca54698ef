#pragma once
// What sbcctl says about itself, all from the command table (command.hpp): the usage, one
// command's help, the bash completion candidates and the man page.

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "mgmt/sbcctl/command.hpp"

namespace sbc::mgmt {

// --help, --json, --socket, bound to `g`.
boost::program_options::options_description global_option_descriptions(global_options& g);

void print_usage(std::ostream& os, const boost::program_options::options_description& globals);
void print_command_help(std::ostream& os, const command_spec& c);

// The command whose name matches the most leading words ("config validate" over "config");
// `used` is how many words its name took. Null when none matches.
const command_spec* find_command(const std::vector<std::string>& words, std::size_t& used);

// Bash completion: the candidates for the last of `words` (the words after "sbcctl", the last
// one being completed, possibly empty). Empty when the shell should complete file names.
std::vector<std::string> completions(const std::vector<std::string>& words,
                                     const boost::program_options::options_description& globals);

// The script `sbcctl completion bash` prints: it asks `sbcctl __complete` for candidates.
std::string bash_completion_script();

// The sbcctl(8) man page in roff, every command with its options.
std::string man_page(const boost::program_options::options_description& globals);

}  // namespace sbc::mgmt
