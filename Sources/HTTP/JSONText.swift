import Foundation

/// JSON text from the values JSONSerialization produces and accepts
/// (dictionaries, arrays, strings, numbers, bools, NSNull), written by hand:
/// keys in byte order, no ICU collation, no dynamic-cast walk per value — the
/// API answers every request with one of these.
public enum JSONText {
    public static func encode(_ value: Any) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, to: &out)
        return out
    }

    public static func string(_ value: Any) -> String { String(decoding: encode(value), as: UTF8.self) }

    private static let boolType = ObjectIdentifier(type(of: NSNumber(value: true)))

    static func write(_ value: Any, to out: inout [UInt8]) {
        switch value {
        case let text as String:
            writeString(text, to: &out)
        case let dictionary as [String: Any]:
            out.append(UInt8(ascii: "{"))
            var first = true
            for key in dictionary.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(dictionary[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let array as [Any]:
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let flag as Bool:
            out.append(contentsOf: Array((flag ? "true" : "false").utf8))
        case let integer as Int:
            out.append(contentsOf: Array(String(integer).utf8))
        case let integer as Int64:
            out.append(contentsOf: Array(String(integer).utf8))
        case let integer as Int32:
            out.append(contentsOf: Array(String(integer).utf8))
        case let number as Double:
            out.append(contentsOf: Array((number.isFinite ? (number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)) : "null").utf8))
        case let number as NSNumber:
            if ObjectIdentifier(type(of: number)) == boolType {
                out.append(contentsOf: Array((number.boolValue ? "true" : "false").utf8))
            } else {
                let kind = String(cString: number.objCType)
                out.append(contentsOf: Array((kind == "d" || kind == "f" ? String(number.doubleValue) : number.stringValue).utf8))
            }
        case is NSNull:
            out.append(contentsOf: Array("null".utf8))
        case Optional<Any>.none:
            out.append(contentsOf: Array("null".utf8))
        default:
            writeString(String(describing: value), to: &out)
        }
    }

    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            case 9: out.append(contentsOf: [92, 116])
            case 0..<32:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, 117, 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
