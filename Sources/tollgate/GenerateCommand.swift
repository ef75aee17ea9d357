import Batch
import Foundation

/// `tollgate generate`: seeded labelled payments (see `PaymentGenerator`).
enum GenerateCommand {
    static let usage = """
    usage: tollgate generate --out FILE [--rows N] [--seed N] [--days N] [--customers N] [--merchants N] [--fraud-share X]

    Writes seeded, labelled card payments as CSV (FILE or - for stdout), in time order, with the
    columns: \(PaymentGenerator.header)
    Score them with:
      tollgate score --rules rules/default.rules --input FILE --label is_fraud \\
        --columns \(PaymentGenerator.columnMap)
    """

    static func run(_ arguments: [String]) -> Int32 {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions(arguments, valued: ["out", "rows", "seed", "days", "customers", "merchants", "fraud-share"], switches: [])
        } catch {
            return TollgateCommand.usageError(error.message)
        }
        if options.wantsHelp {
            print(usage)
            return 0
        }
        guard let out = options["out"] else { return TollgateCommand.usageError("generate needs --out FILE; run 'tollgate generate --help'") }
        var settings = PaymentGenerator.Options()
        func integer(_ name: String, _ range: ClosedRange<Int>) -> Int?? {
            guard let text = options[name] else { return .some(nil) }
            guard let value = Int(text), range.contains(value) else { return nil }
            return .some(value)
        }
        for (name, range) in [("rows", 1...100_000_000), ("days", 1...3_650), ("customers", 1...10_000_000), ("merchants", 1...1_000_000)] {
            guard let parsed = integer(name, range) else {
                return TollgateCommand.usageError("--\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            guard let value = parsed else { continue }
            switch name {
            case "rows": settings.rows = value
            case "days": settings.days = value
            case "customers": settings.customers = value
            default: settings.merchants = value
            }
        }
        if let text = options["seed"] {
            guard let seed = UInt64(text) else { return TollgateCommand.usageError("--seed must be a whole number") }
            settings.seed = seed
        }
        if let text = options["fraud-share"] {
            guard let share = Double(text), share >= 0, share <= 0.5 else { return TollgateCommand.usageError("--fraud-share must be between 0 and 0.5") }
            settings.fraudShare = share
        }
        do throws(BatchError) {
            try PaymentGenerator.write(options: settings, to: out)
            return 0
        } catch {
            printError("tollgate: error: \(error.message)")
            return 1
        }
    }
}
