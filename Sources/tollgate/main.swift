import Foundation

// `tollgate`: the command-line entry point. Each command lives in its own file.
let arguments = Array(CommandLine.arguments.dropFirst())
let status = TollgateCommand.run(arguments)
exit(status)
