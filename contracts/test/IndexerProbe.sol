// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Test contract for the indexer: emits a few events, or any raw log.
/// @notice Not deployed by the product; tests point the indexer at it.
contract IndexerProbe {
    struct Record {
        bytes32 key;
        address owner;
        uint64 at;
        bool flag;
        uint128 amount;
    }

    event Pinged(uint256 indexed n, address indexed sender, string note, uint256[] values);
    event Recorded(bytes32 indexed key, bytes32 indexed actorOrgId, Record record);
    event Cleared(bytes32 indexed key);

    uint256 private _count;

    /// @notice Emit `Pinged` with a counter.
    function ping(string calldata note, uint256[] calldata values) external {
        _count += 1;
        emit Pinged(_count, msg.sender, note, values);
    }

    /// @notice Emit `Recorded` with the given record.
    function record(bytes32 actorOrgId, Record calldata rec) external {
        emit Recorded(rec.key, actorOrgId, rec);
    }

    /// @notice Emit `count` events in one transaction.
    function burst(uint256 count, bytes32 actorOrgId) external {
        for (uint256 i = 0; i < count; i++) {
            _count += 1;
            bytes32 key = keccak256(abi.encode(_count));
            emit Recorded(
                key,
                actorOrgId,
                Record(key, msg.sender, uint64(block.timestamp), i % 2 == 0, uint128(_count))
            );
        }
    }

    /// @notice Emit `Cleared`.
    function clear(bytes32 key) external {
        emit Cleared(key);
    }

    /// @notice Emit a raw log with up to four topics (any other contract's event shape).
    function emitRaw(bytes32[] calldata topics, bytes calldata data) external {
        bytes memory payload = data;
        uint256 n = topics.length;
        require(n <= 4, "too many topics");
        assembly {
            let ptr := add(payload, 32)
            let len := mload(payload)
            switch n
            case 0 { log0(ptr, len) }
            case 1 { log1(ptr, len, calldataload(topics.offset)) }
            case 2 {
                log2(ptr, len, calldataload(topics.offset), calldataload(add(topics.offset, 32)))
            }
            case 3 {
                log3(
                    ptr,
                    len,
                    calldataload(topics.offset),
                    calldataload(add(topics.offset, 32)),
                    calldataload(add(topics.offset, 64))
                )
            }
            default {
                log4(
                    ptr,
                    len,
                    calldataload(topics.offset),
                    calldataload(add(topics.offset, 32)),
                    calldataload(add(topics.offset, 64)),
                    calldataload(add(topics.offset, 96))
                )
            }
        }
    }

    /// @notice Emit many raw logs in one transaction (one topic list and data each).
    function emitRawMany(bytes32[][] calldata topics, bytes[] calldata data) external {
        for (uint256 i = 0; i < topics.length; i++) {
            this.emitRaw(topics[i], data[i]);
        }
    }
}
