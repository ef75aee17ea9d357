import Foundation
import Rules

/// Reads rule files and the list files they name (relative to the rule file's
/// folder): the file-system side of `Rules`, shared by the CLI and the benchmarks.
public enum RuleFiles {
    public struct ReadError: Error {
        public let message: String
    }

    public static func compile(path: String, lists: ListResolution = .declaredOnly) throws(ReadError) -> CompileResult {
        let bytes = try readBytes(path)
        let folder = (path as NSString).deletingLastPathComponent
        let loader: ListFileLoader = { listPath throws(ListFileError) in
            let resolved = listPath.hasPrefix("/") ? listPath : (folder.isEmpty ? listPath : folder + "/" + listPath)
            do {
                return try readListItems(resolved)
            } catch let error as ReadError {
                throw ListFileError("cannot read list file \"\(listPath)\": \(error.message)")
            } catch {
                throw ListFileError("cannot read list file \"\(listPath)\"")
            }
        }
        return RuleCompiler.compile(SourceFile(path: path, bytes: bytes), listLoader: loader, lists: lists)
    }

    /// List files may be far larger than rule files (a million card fingerprints).
    public static let listFileBytesMax = 64 * 1024 * 1024

    public static func readBytes(_ path: String, limit: Int = RuleLimits.standard.fileBytesMax) throws(ReadError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReadError(message: "no such file")
        }
        guard !isDirectory.boolValue else { throw ReadError(message: "is a directory") }
        // Refuse devices, pipes and huge files before reading a byte of them.
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else { throw ReadError(message: "not a regular file") }
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= limit else { throw ReadError(message: "file is \(size) bytes; the limit is \(limit) bytes") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(message: "cannot read file (permission denied?)")
        }
        return [UInt8](data)
    }

    /// One item per line; blank lines and `#` comments are skipped; spaces trimmed.
    public static func readListItems(_ path: String) throws(ReadError) -> [String] {
        let bytes = try readBytes(path, limit: listFileBytesMax)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ReadError(message: "not valid UTF-8") }
        var items: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let item = line.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if item.isEmpty || item.hasPrefix("#") { continue }
            items.append(item)
        }
        return items
    }
}
