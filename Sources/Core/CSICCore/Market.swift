import Foundation

/// The aggressor side of a trade or the side of a book level.
public enum Side: String, Sendable, Codable, CaseIterable {
    case buy, sell
}

/// An executed trade reported by an exchange.
public struct Trade: DomainEvent, Hashable, Codable {
    /// The exchange's name, lowercase, e.g. `binance`.
    public var exchange: String
    /// The instrument, e.g. `BTCUSDT`.
    public var symbol: String
    /// The exchange's own trade id.
    public var tradeID: String
    public var price: Decimal
    public var quantity: Decimal
    /// The taker side.
    public var side: Side
    public var time: Timestamp

    public init(exchange: String, symbol: String, tradeID: String, price: Decimal, quantity: Decimal, side: Side, time: Timestamp) {
        self.exchange = exchange
        self.symbol = symbol
        self.tradeID = tradeID
        self.price = price
        self.quantity = quantity
        self.side = side
        self.time = time
    }

    /// `<exchange>:<symbol>:trade:<id>`.
    public var eventID: String { "\(exchange):\(symbol):trade:\(tradeID)" }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(exchange, "exchange")
        try Check.nonEmpty(symbol, "symbol")
        try Check.nonEmpty(tradeID, "trade_id")
        try require(price > 0, .outOfRange, "price", "must be positive")
        try require(quantity > 0, .outOfRange, "quantity", "must be positive")
        try Check.plausible(time, "time")
    }
}

/// A price level of an order book; quantity zero in an update removes the level.
public struct PriceLevel: Hashable, Sendable, Codable {
    public var price: Decimal
    public var quantity: Decimal

    public init(price: Decimal, quantity: Decimal) {
        self.price = price
        self.quantity = quantity
    }
}

/// An incremental change to an order book, or a full snapshot when `isSnapshot` is true.
public struct OrderBookUpdate: DomainEvent, Hashable, Codable {
    public var exchange: String
    public var symbol: String
    /// The exchange's sequence number; gaps mean lost updates.
    public var sequence: UInt64
    /// Bid levels, best (highest) first.
    public var bids: [PriceLevel]
    /// Ask levels, best (lowest) first.
    public var asks: [PriceLevel]
    public var isSnapshot: Bool
    public var time: Timestamp

    public init(
        exchange: String, symbol: String, sequence: UInt64, bids: [PriceLevel], asks: [PriceLevel], isSnapshot: Bool, time: Timestamp
    ) {
        self.exchange = exchange
        self.symbol = symbol
        self.sequence = sequence
        self.bids = bids
        self.asks = asks
        self.isSnapshot = isSnapshot
        self.time = time
    }

    /// `<exchange>:<symbol>:book:<sequence>` (`snapshot` instead of `book` for snapshots).
    public var eventID: String { "\(exchange):\(symbol):\(isSnapshot ? "snapshot" : "book"):\(sequence)" }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(exchange, "exchange")
        try Check.nonEmpty(symbol, "symbol")
        try Check.plausible(time, "time")
        try validateSide(bids, "bids", descending: true)
        try validateSide(asks, "asks", descending: false)
        if isSnapshot, let bestBid = bids.first?.price, let bestAsk = asks.first?.price {
            try require(bestBid < bestAsk, .inconsistent, "bids[0].price", "best bid \(bestBid) is not below best ask \(bestAsk)")
        }
    }

    private func validateSide(_ levels: [PriceLevel], _ field: String, descending: Bool) throws(ValidationError) {
        var previous: Decimal?
        for (position, level) in levels.enumerated() {
            try require(level.price > 0, .outOfRange, "\(field)[\(position)].price", "must be positive")
            try require(level.quantity >= 0, .outOfRange, "\(field)[\(position)].quantity", "must not be negative")
            try require(
                !isSnapshot || level.quantity > 0, .outOfRange, "\(field)[\(position)].quantity", "a snapshot level must be positive")
            if let previous {
                let ordered = descending ? level.price < previous : level.price > previous
                try require(ordered, .inconsistent, "\(field)[\(position)].price", "levels are not sorted best first")
            }
            previous = level.price
        }
    }
}
