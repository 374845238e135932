/// A small, fast, seedable generator (SplitMix64): the same seed gives the same sequence on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 32 pseudo-random bytes, e.g. for a txid or block hash.
    public mutating func bytes32() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for _ in 0..<4 {
            let word = next()
            for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return out
    }

    /// 32 pseudo-random bytes as 64 lowercase hex digits (the same bytes `bytes32()` would give).
    public mutating func hex32() -> String {
        let digits: StaticString = "0123456789abcdef"
        var out = [UInt8](repeating: 0, count: 64)
        digits.withUTF8Buffer { table in
            for wordIndex in 0..<4 {
                let word = next()
                for byteIndex in 0..<8 {
                    let byte = UInt8(truncatingIfNeeded: word >> UInt64(8 * byteIndex))
                    let position = (wordIndex * 8 + byteIndex) * 2
                    out[position] = table[Int(byte >> 4)]
                    out[position + 1] = table[Int(byte & 15)]
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A sample of a log-normal distribution with the given median and shape.
    public mutating func logNormal(median: Double, sigma: Double) -> Double {
        // Box–Muller on two uniforms in (0, 1].
        let u1 = Double(next() >> 11 | 1) / Double(1 << 53)
        let u2 = Double(next() >> 11) / Double(1 << 53)
        let normal = (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
        return median * _exp(sigma * normal)
    }
}

@inline(__always) private func _log(_ x: Double) -> Double { x.isZero ? -745 : Double(logApprox(x)) }
@inline(__always) private func _exp(_ x: Double) -> Double { expApprox(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { cosApprox(x) }

// Deterministic pure-Swift elementary functions, so simulated values do not depend on the platform's libm.
private func logApprox(_ x: Double) -> Double {
    let exponent = Double(x.exponent)
    let mantissa = x.significand // [1, 2)
    let y = (mantissa - 1) / (mantissa + 1)
    let y2 = y * y
    var term = y
    var sum = 0.0
    var k = 1.0
    for _ in 0..<20 {
        sum += term / k
        term *= y2
        k += 2
    }
    return 2 * sum + exponent * 0.693_147_180_559_945_3
}

private func expApprox(_ x: Double) -> Double {
    let clamped = min(max(x, -700), 700)
    let n = (clamped / 0.693_147_180_559_945_3).rounded()
    let r = clamped - n * 0.693_147_180_559_945_3
    var term = 1.0
    var sum = 1.0
    for k in 1..<25 {
        term *= r / Double(k)
        sum += term
    }
    return sum * Double(sign: .plus, exponent: Int(n), significand: 1)
}

private func cosApprox(_ x: Double) -> Double {
    let twoPi = 2 * Double.pi
    var r = x - (x / twoPi).rounded(.down) * twoPi
    if r > Double.pi { r -= twoPi }
    let r2 = r * r
    var term = 1.0
    var sum = 1.0
    for k in stride(from: 2, through: 30, by: 2) {
        term *= -r2 / Double((k - 1) * k)
        sum += term
    }
    return sum
}
