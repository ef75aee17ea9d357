import Testing
import TollgateCore

@Suite("Hex")
struct HexTests {
    @Test func roundTripsAndRefusesWhatIsNotHex() {
        let bytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]
        #expect(Hex.encode(bytes) == "00017f80abff")
        #expect(Hex.decode(Array("00017F80ABff".utf8)) == bytes)
        #expect(Hex.decode(Array("".utf8)) == [])
        #expect(Hex.decode(Array("abc".utf8)) == nil, "odd length")
        #expect(Hex.decode(Array("zz".utf8)) == nil)
        #expect(Hex.decode(Array("+f".utf8)) == nil)
    }
}
