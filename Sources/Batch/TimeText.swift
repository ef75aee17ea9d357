/// The `time` formats batch input may use, all read as UTC epoch seconds:
/// epoch seconds (integer or decimal, fraction dropped), ISO 8601
/// (`2018-04-01T00:00:31Z`, `…+02:00`, fractional seconds, a date alone) and
/// `YYYY-MM-DD HH:MM:SS`.
enum TimeText {
    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !text.isEmpty else { return nil }
        if text.count >= 10, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-") { return parseCalendar(text) }
        return parseEpoch(text)
    }

    private static func parseEpoch(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if text[0] == UInt8(ascii: "-") { negative = true; index = 1 }
        var value: Int64 = 0
        var digits = 0
        while index < text.count, let digit = digitValue(text[index]) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = a
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        var hasFraction = false
        if index < text.count && text[index] == UInt8(ascii: ".") {
            index += 1
            while index < text.count, let digit = digitValue(text[index]) {
                if digit != 0 { hasFraction = true }
                index += 1
            }
        }
        guard index == text.count else { return nil }
        // Floor, so -1.5 is the second that contains it.
        return negative ? -value - (hasFraction ? 1 : 0) : value
    }

    private static func parseCalendar(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let year = number(text, 0, 4), let month = number(text, 5, 2), let day = number(text, 8, 2),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year, month) else { return nil }
        var seconds = daysFromCivil(year: year, month: month, day: day) * 86_400
        if text.count == 10 { return seconds }
        guard text.count >= 19, text[10] == UInt8(ascii: " ") || text[10] == UInt8(ascii: "T") || text[10] == UInt8(ascii: "t"),
              text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"),
              let hour = number(text, 11, 2), let minute = number(text, 14, 2), let second = number(text, 17, 2),
              hour < 24, minute < 60, second < 61 else { return nil }
        seconds += hour * 3_600 + minute * 60 + min(second, 59)
        var index = 19
        if index < text.count && (text[index] == UInt8(ascii: ".") || text[index] == UInt8(ascii: ",")) {
            index += 1
            let start = index
            while index < text.count, digitValue(text[index]) != nil { index += 1 }
            guard index > start else { return nil }
        }
        if index == text.count { return seconds }
        switch text[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            return index + 1 == text.count ? seconds : nil
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = text[index] == UInt8(ascii: "+") ? 1 : -1
            let rest = text.count - index - 1
            guard let offsetHours = number(text, index + 1, 2), offsetHours < 24 else { return nil }
            var offsetMinutes: Int64 = 0
            if rest == 5, text[index + 3] == UInt8(ascii: ":"), let m = number(text, index + 4, 2) {
                offsetMinutes = m
            } else if rest == 4, let m = number(text, index + 3, 2) {
                offsetMinutes = m
            } else if rest != 2 {
                return nil
            }
            guard offsetMinutes < 60 else { return nil }
            return seconds - sign * (offsetHours * 3_600 + offsetMinutes * 60)
        default:
            return nil
        }
    }

    @inline(__always)
    private static func digitValue(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }

    private static func number(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> Int64? {
        guard start + length <= text.count else { return nil }
        var value: Int64 = 0
        for index in start..<(start + length) {
            guard let digit = digitValue(text[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `YYYY-MM-DD` of a day number (days since 1970-01-01), for reports.
    static func dateText(day: Int64) -> String {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let d = dayOfYear - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yearOfEra + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }
}
