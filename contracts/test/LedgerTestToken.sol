// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A test stand-in for the digital currency: 2 decimals, 1 unit = 1 fen.
/// @notice Only the deployer mints. For tests and the local node, never production.
contract LedgerTestToken is ERC20 {
    /// @notice The account that may mint.
    address public immutable minter;

    /// @notice Only the deployer may mint.
    error NotMinter(address account);

    constructor() ERC20("Digital Yuan Test Token", "tCNY") {
        minter = msg.sender;
    }

    /// @notice Amounts are in fen: 100 units are one yuan.
    function decimals() public pure override returns (uint8) {
        return 2;
    }

    /// @notice Create `amount` fen for `to`.
    function mint(address to, uint256 amount) external {
        if (msg.sender != minter) revert NotMinter(msg.sender);
        _mint(to, amount);
    }
}
