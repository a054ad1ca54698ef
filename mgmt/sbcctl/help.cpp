// sbcctl help [COMMAND...], COMMAND --help, completion bash, man, and the hidden __complete the
// completion script calls: everything from the command table, so help, completion and the man
// page say exactly what the parser accepts.

#include "mgmt/sbcctl/help.hpp"

#include <algorithm>
#include <iostream>
#include <set>
#include <sstream>

namespace po = boost::program_options;

namespace sbc::mgmt {

namespace {

std::vector<std::string> name_words(const std::string& name) {
    std::vector<std::string> out;
    std::istringstream in(name);
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

bool takes_value(const po::option_description& o) {
    return o.semantic()->max_tokens() > 0;
}

// "N" of "N (=200)": the value's name without its default.
std::string value_name(const po::option_description& o) {
    const std::string p = o.format_parameter();
    return p.substr(0, p.find(" (="));
}

std::string wrap(const std::string& text, std::size_t width, const std::string& indent) {
    std::istringstream in(text);
    std::string out, line;
    for (std::string w; in >> w;) {
        if (!line.empty() && line.size() + 1 + w.size() > width) {
            out += indent + line + "\n";
            line.clear();
        }
        line += (line.empty() ? "" : " ") + w;
    }
    if (!line.empty()) {
        out += indent + line + "\n";
    }
    return out;
}

// roff text: backslashes and hyphens escaped, no line may start a request.
std::string roff(const std::string& s) {
    std::string out = !s.empty() && (s[0] == '.' || s[0] == '\'') ? "\\&" : "";
    for (char ch : s) {
        if (ch == '\\') {
            out += "\\e";
        } else if (ch == '-') {
            out += "\\-";
        } else {
            out += ch;
        }
    }
    return out;
}

void man_options(std::ostream& os, const po::options_description& opts) {
    for (const auto& o : opts.options()) {
        os << ".TP\n\\fB\\-\\-" << roff(o->long_name()) << "\\fR";
        if (takes_value(*o)) {
            os << " \\fI" << roff(value_name(*o)) << "\\fR";
        }
        os << "\n" << roff(o->description());
        const std::string p = o->format_parameter();
        if (const auto d = p.find(" (="); d != std::string::npos) {
            os << " (default " << roff(p.substr(d + 3, p.size() - d - 4)) << ")";
        }
        os << "\n";
    }
}

}  // namespace

po::options_description global_option_descriptions(global_options& g) {
    po::options_description opts("options");
    opts.add_options()("help,h", "show this help")("json", po::bool_switch(&g.json),
                                                   "print machine-readable JSON")(
        "socket",
        po::value<std::string>(&g.socket_path)
            ->default_value("/run/sbc/default.sock")
            ->value_name("PATH"),
        "sbcd mgmt socket");
    return opts;
}

po::options_description command_options(const command_spec& c) {
    po::options_description o("options of 'sbcctl " + c.name + "'");
    if (c.options) {
        c.options(o);
    }
    o.add_options()("help,h", "show this command's options");
    return o;
}

std::string command_synopsis(const command_spec& c) {
    std::string s = "sbcctl " + c.name;
    const auto opts = command_options(c);
    for (const auto& o : opts.options()) {
        if (o->long_name() == "help") {
            continue;
        }
        s.append(" [--").append(o->long_name());
        if (takes_value(*o)) {
            s.append(" ").append(value_name(*o));
        }
        s.append("]");
    }
    if (!c.operands.empty()) {
        s += " " + c.operands;
    }
    return s;
}

void print_usage(std::ostream& os, const po::options_description& globals) {
    os << "usage: sbcctl [options] COMMAND [ARGS...]\n\n" << globals << "\ncommands:\n";
    for (const auto& c : all_commands()) {
        os << "  " << c.name << std::string(c.name.size() < 22 ? 22 - c.name.size() : 1, ' ')
           << c.summary << "\n";
    }
    os << "\n'sbcctl COMMAND --help' or 'sbcctl help COMMAND' shows a command's options.\n";
}

void print_command_help(std::ostream& os, const command_spec& c) {
    os << "usage: " << command_synopsis(c) << "\n\n" << wrap(c.summary, 78, "");
    if (!c.details.empty()) {
        os << "\n" << wrap(c.details, 78, "");
    }
    os << "\n" << command_options(c);
}

const command_spec* find_command(const std::vector<std::string>& words, std::size_t& used) {
    const command_spec* best = nullptr;
    used = 0;
    for (const auto& c : all_commands()) {
        const auto n = name_words(c.name);
        if (n.size() <= words.size() && n.size() > used &&
            std::equal(n.begin(), n.end(), words.begin())) {
            best = &c;
            used = n.size();
        }
    }
    return best;
}

std::vector<std::string> completions(const std::vector<std::string>& words,
                                     const po::options_description& globals) {
    const std::string cur = words.empty() ? std::string() : words.back();
    const std::size_t n = words.empty() ? 0 : words.size() - 1;  // words before `cur`
    std::size_t i = 0;
    while (i < n && words[i].starts_with("-")) {
        const auto* o =
            globals.find_nothrow(words[i].substr(words[i].find_first_not_of('-')), false);
        if (o != nullptr && takes_value(*o) && words[i].find('=') == std::string::npos) {
            if (i + 1 == n) {
                return {};  // completing the option's value: the shell's file names
            }
            ++i;
        }
        ++i;
    }
    const std::vector<std::string> typed(words.begin() + static_cast<long>(i),
                                         words.begin() + static_cast<long>(n));
    std::set<std::string> out;
    auto offer = [&out, &cur](const std::string& candidate) {
        if (candidate.starts_with(cur)) {
            out.insert(candidate);
        }
    };
    std::size_t used = 0;
    if (const command_spec* c = find_command(typed, used); c != nullptr) {
        const auto opts = command_options(*c);
        if (!typed.empty() && typed.back().starts_with("--")) {
            const auto* prev = opts.find_nothrow(typed.back().substr(2), false);
            if (prev != nullptr && takes_value(*prev)) {
                return {};  // the option's value
            }
        }
        if (cur.starts_with("-") || c->max_operands == 0) {
            for (const auto& o : opts.options()) {
                offer("--" + o->long_name());
            }
        }
        return {out.begin(), out.end()};
    }
    if (typed.empty() && cur.starts_with("-")) {
        for (const auto& o : globals.options()) {
            offer("--" + o->long_name());
        }
    }
    for (const auto& c : all_commands()) {
        const auto nw = name_words(c.name);
        if (nw.size() > typed.size() && std::equal(typed.begin(), typed.end(), nw.begin())) {
            offer(nw[typed.size()]);
        }
    }
    return {out.begin(), out.end()};
}

std::string bash_completion_script() {
    return "# bash completion for sbcctl; generated by `sbcctl completion bash`.\n"
           "_sbcctl() {\n"
           "    local IFS=$'\\n'\n"
           "    COMPREPLY=($(\"${COMP_WORDS[0]}\" __complete \"${COMP_WORDS[@]:1:COMP_CWORD}\" "
           "2>/dev/null))\n"
           "}\n"
           "complete -o default -F _sbcctl sbcctl\n";
}

std::string man_page(const po::options_description& globals) {
    std::ostringstream os;
    os << ".TH SBCCTL 8 \"\" \"sbc " << SBC_VERSION << "\" \"sbc\"\n"
       << ".SH NAME\nsbcctl \\- operate the sbc session border controller\n"
       << ".SH SYNOPSIS\n.B sbcctl\n"
       << "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fICOMMAND OPTIONS\\fR] [\\fIOPERANDS\\fR]\n"
       << ".SH DESCRIPTION\n"
       << "sbcctl talks to sbcd, the control plane of the sbc appliance, over its mgmt socket and "
          "prints what sbcd answers as text or, with \\fB\\-\\-json\\fR, as JSON for scripts. "
          "\\fBconfig validate\\fR, \\fBconfig show \\-\\-default\\fR, \\fBhelp\\fR, "
          "\\fBcompletion\\fR and \\fBman\\fR work without sbcd.\n"
       << ".SH OPTIONS\n";
    man_options(os, globals);
    os << ".SH COMMANDS\n";
    for (const auto& c : all_commands()) {
        os << ".TP\n.B " << roff(command_synopsis(c)) << "\n" << roff(c.summary) << "\n";
        if (!c.details.empty()) {
            os << ".IP\n" << roff(c.details) << "\n";
        }
        po::options_description own;
        if (c.options) {
            c.options(own);
        }
        if (!own.options().empty()) {
            os << ".RS\n";
            man_options(os, own);
            os << ".RE\n";
        }
    }
    os << ".SH EXIT STATUS\n"
       << ".TP\n0\nsuccess\n.TP\n1\nthe operation failed: sbcd refused it, or the config has "
          "errors\n.TP\n2\nbad arguments\n.TP\n3\nsbcd unreachable or not answering\n"
       << ".SH FILES\n.TP\n/run/sbc/default.sock\nthe default mgmt socket (\\fBmgmt.socket\\fR "
          "in the config)\n";
    return os.str();
}

namespace {

int run_help(const global_options&, const command_args& a) {
    global_options unused;
    if (a.operands.empty()) {
        print_usage(std::cout, global_option_descriptions(unused));
        return exit_ok;
    }
    std::size_t used = 0;
    const command_spec* c = find_command(a.operands, used);
    if (c == nullptr || used != a.operands.size()) {
        std::cerr << "sbcctl help: no command '" << a.operands[0] << "'\n";
        return exit_usage;
    }
    print_command_help(std::cout, *c);
    return exit_ok;
}

int run_completion(const global_options&, const command_args& a) {
    if (a.operands[0] != "bash") {
        std::cerr << "sbcctl completion: no completion for '" << a.operands[0] << "' (only bash)\n";
        return exit_usage;
    }
    std::cout << bash_completion_script();
    return exit_ok;
}

int run_man(const global_options&, const command_args&) {
    global_options unused;
    std::cout << man_page(global_option_descriptions(unused));
    return exit_ok;
}

}  // namespace

std::vector<command_spec> help_commands() {
    return {command_spec("help", "this list, or one command's options (help COMMAND)", run_help)
                .takes("[COMMAND...]", 0, 3),
            command_spec("completion", "print the bash completion script (completion bash)",
                         run_completion)
                .takes("SHELL", 1, 1)
                .explain("Only bash: `source <(sbcctl completion bash)`, or install the output as "
                         "/usr/share/bash-completion/completions/sbcctl."),
            command_spec("man", "print the sbcctl(8) man page (roff)", run_man)};
}

}  // namespace sbc::mgmt
