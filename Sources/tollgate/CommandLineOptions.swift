/// A small option parser: `--flag`, `--name value`, `--name=value` and
/// positional arguments. Unknown options are usage errors (exit 2).
struct CommandLineOptions {
    struct UsageError: Error {
        let message: String
    }

    private(set) var values: [String: String] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positional: [String] = []
    let wantsHelp: Bool

    /// `valued` take an argument; `switches` do not.
    init(_ arguments: [String], valued: Set<String>, switches: Set<String>) throws(UsageError) {
        var help = false
        var index = 0
        var onlyPositional = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositional || !argument.hasPrefix("--") || argument == "-" {
                if argument == "-h" && !onlyPositional { help = true; continue }
                positional.append(argument)
                continue
            }
            if argument == "--" { onlyPositional = true; continue }
            if argument == "--help" { help = true; continue }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if switches.contains(name) {
                guard inlineValue == nil else { throw UsageError(message: "option --\(name) takes no value") }
                flags.insert(name)
            } else if valued.contains(name) {
                if let inlineValue {
                    values[name] = inlineValue
                } else {
                    guard index < arguments.count else { throw UsageError(message: "option --\(name) needs a value") }
                    values[name] = arguments[index]
                    index += 1
                }
            } else {
                throw UsageError(message: "unknown option --\(name)")
            }
        }
        wantsHelp = help
    }

    subscript(_ name: String) -> String? { values[name] }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
}
