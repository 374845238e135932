import CSICCore
import Foundation

extension Trade: ProtoConvertible {
    public var proto: Csic_V1_Trade {
        .with {
            $0.exchange = exchange
            $0.symbol = symbol
            $0.tradeID = tradeID
            $0.price = price.protoText
            $0.quantity = quantity.protoText
            $0.side = EnumMapping.toProto(side)
            $0.timeUs = time.microsecondsSinceEpoch
        }
    }

    public init(proto message: Csic_V1_Trade) throws(ValidationError) {
        self.init(
            exchange: message.exchange, symbol: message.symbol, tradeID: message.tradeID,
            price: try Decimal.fromProto(message.price, field: "price"),
            quantity: try Decimal.fromProto(message.quantity, field: "quantity"),
            side: try EnumMapping.fromProto(message.side, field: "side"),
            time: Timestamp(protoMicros: message.timeUs))
    }
}

extension OrderBookUpdate: ProtoConvertible {
    public var proto: Csic_V1_OrderBookUpdate {
        .with {
            $0.exchange = exchange
            $0.symbol = symbol
            $0.sequence = sequence
            $0.bids = bids.map(Self.level)
            $0.asks = asks.map(Self.level)
            $0.isSnapshot = isSnapshot
            $0.timeUs = time.microsecondsSinceEpoch
        }
    }

    private static func level(_ level: PriceLevel) -> Csic_V1_PriceLevel {
        .with {
            $0.price = level.price.protoText
            $0.quantity = level.quantity.protoText
        }
    }

    private static func levels(_ levels: [Csic_V1_PriceLevel], _ field: String) throws(ValidationError) -> [PriceLevel] {
        var out: [PriceLevel] = []
        for (position, level) in levels.enumerated() {
            out.append(
                PriceLevel(
                    price: try Decimal.fromProto(level.price, field: "\(field)[\(position)].price"),
                    quantity: try Decimal.fromProto(level.quantity, field: "\(field)[\(position)].quantity")))
        }
        return out
    }

    public init(proto message: Csic_V1_OrderBookUpdate) throws(ValidationError) {
        self.init(
            exchange: message.exchange, symbol: message.symbol, sequence: message.sequence,
            bids: try Self.levels(message.bids, "bids"), asks: try Self.levels(message.asks, "asks"),
            isSnapshot: message.isSnapshot, time: Timestamp(protoMicros: message.timeUs))
    }
}

/// A record of the `exchange_data` topic.
public enum ExchangeTopicEvent: Sendable, Hashable {
    case trade(Trade)
    case book(OrderBookUpdate)
}

extension ExchangeTopicEvent: ProtoConvertible {
    public var proto: Csic_V1_ExchangeEvent {
        switch self {
        case .trade(let trade): .with { $0.trade = trade.proto }
        case .book(let book): .with { $0.book = book.proto }
        }
    }

    public init(proto message: Csic_V1_ExchangeEvent) throws(ValidationError) {
        switch message.payload {
        case .trade(let trade): self = .trade(try Trade(proto: trade))
        case .book(let book): self = .book(try OrderBookUpdate(proto: book))
        case nil: throw ValidationError(.missing, field: "payload", "an exchange_data record holds a trade or a book update")
        }
    }
}
