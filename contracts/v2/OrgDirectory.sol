// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "../interfaces/ILedgerDirectory.sol";
import {IOrgDirectory} from "./interfaces/IOrgDirectory.sol";

/// @notice A contract whose stray tokens governance may sweep.
interface ISweepable {
    function sweep(address token, address to) external;
}

/// @title OrgDirectory
/// @notice See {IOrgDirectory} for the rules. Immutable: a new version is a new deployment.
contract OrgDirectory is IOrgDirectory {
    /// @notice Default public notice window.
    uint64 public constant DEFAULT_NOTICE_WINDOW = 10 days;
    /// @notice Default certificate term (three years).
    uint64 public constant DEFAULT_CERTIFICATE_TERM = 3 * 365 days;
    /// @notice The longest notice window any deployment allows.
    uint64 public constant NOTICE_CEILING = 60 days;
    /// @notice The highest deploy-time notice floor (the production floor).
    uint64 public constant PRODUCTION_NOTICE_FLOOR = 5 days;
    /// @notice Certificate terms: 1 to 5 years.
    uint64 public constant TERM_FLOOR = 365 days;
    uint64 public constant TERM_CEILING = 5 * 365 days;
    /// @notice An organisation holds at most this many keys over its life.
    uint8 public constant MAX_KEYS_PER_ORG = 16;
    /// @notice An open proposal lapses after this long.
    uint64 public constant PROPOSAL_TTL = 14 days;

    /// @dev One key: slot 0 everything a caller check reads (kind and city copied from the org,
    /// `active` kept in step with the org by `_setActive`, a registrar's effective terms kept in
    /// step by `_syncTerms`), slot 1 the org id. Bit layout of slot 0 (read by `actorInfo`):
    /// kind 0-7, city 8-39, active 40-47, index 48-79, validFrom 80-119, validUntil 120-159,
    /// compromisedAt 160-199, noticeWindow 200-223, certificateTerm 224-255.
    struct KeyInfo {
        ILedgerDirectory.OrgKind kind;
        uint32 city;
        bool active;
        uint32 index;
        uint40 validFrom;
        uint40 validUntil;
        uint40 compromisedAt;
        uint24 noticeWindow;
        uint32 certificateTerm;
    }

    struct Key {
        KeyInfo info;
        bytes32 orgId;
    }

    struct Pending {
        bytes32 orgId;
        uint64 validUntil;
    }

    uint64 private immutable _noticeFloor;
    address private _bootstrapper;
    bool private _handoverBegun;
    uint32 private _threshold;
    uint32 private _activeRegistrars;
    uint32 private _orgCount;
    TermBounds private _bounds;

    mapping(bytes32 orgId => Org) private _orgs;
    mapping(uint32 index => bytes32) private _orgIdAt;
    mapping(uint32 city => bytes32) private _registrarOf;
    mapping(address account => Key) private _keys;
    mapping(address account => Pending) private _pending;
    mapping(bytes32 orgId => address[]) private _orgKeys;
    /// @dev Effective terms (defaults and bounds applied): notice << 64 | term.
    mapping(bytes32 registrarOrgId => uint128) private _terms;
    uint32[] private _cities;
    mapping(bytes32 agreementId => Agreement) private _agreements;
    mapping(bytes32 proposalId => Proposal) private _proposals;
    mapping(bytes32 proposalId => mapping(bytes32 registrarOrgId => bool)) private _approved;
    mapping(bytes32 registrarOrgId => uint64) private _proposalNonce;

    /// @param noticeFloor the shortest notice window this deployment allows: 5 days for a
    /// production consortium, down to 1 second for a local development node.
    constructor(uint64 noticeFloor) {
        if (noticeFloor == 0 || noticeFloor > PRODUCTION_NOTICE_FLOOR) {
            revert InvalidTermBounds(TermBounds(noticeFloor, NOTICE_CEILING, TERM_FLOOR, TERM_CEILING));
        }
        _noticeFloor = noticeFloor;
        _bootstrapper = msg.sender;
        _bounds = TermBounds(noticeFloor, NOTICE_CEILING, TERM_FLOOR, TERM_CEILING);
        emit TermBoundsSet(_bounds);
    }

    // ================================================================ bootstrap

    function bootstrapRegistrar(uint32 city, bytes32 nameHash, address account) external returns (bytes32) {
        _onlyBootstrapper();
        return _admitRegistrar(city, nameHash, account, 0);
    }

    function beginHandover(uint32 threshold_) external {
        _onlyBootstrapper();
        if (threshold_ < 2 || threshold_ > _activeRegistrars) revert InvalidThreshold(threshold_, _activeRegistrars);
        _threshold = threshold_;
        _handoverBegun = true;
        emit HandoverBegun(msg.sender, threshold_);
    }

    function acceptHandover() external {
        if (!_handoverBegun || _bootstrapper == address(0)) revert HandoverState(_handoverBegun, _bootstrapper == address(0));
        bytes32 registrar = _actorOfKind(ILedgerDirectory.OrgKind.Registrar).orgId;
        _bootstrapper = address(0);
        emit HandoverAccepted(registrar, _threshold, _activeRegistrars);
    }

    // ================================================================ organisations and keys

    function admitOrg(ILedgerDirectory.OrgKind kind, bytes32 nameHash, address account) external returns (bytes32) {
        Actor memory registrar = _actorOfKind(ILedgerDirectory.OrgKind.Registrar);
        if (kind == ILedgerDirectory.OrgKind.None || kind == ILedgerDirectory.OrgKind.Registrar) {
            revert InvalidOrgKind(kind);
        }
        return _newOrg(kind, registrar.city, nameHash, account, registrar.orgId);
    }

    function setOrgActive(bytes32 orgId, bool active) external {
        Org storage o = _knownOrg(orgId);
        Actor memory registrar = _actorOfKind(ILedgerDirectory.OrgKind.Registrar);
        if (o.kind == ILedgerDirectory.OrgKind.Registrar) revert InvalidOrgKind(o.kind);
        if (o.city != registrar.city) revert NotOrgKey(msg.sender, orgId);
        _setActive(orgId, o, active, registrar.orgId);
    }

    function proposeSigningKey(address account, uint64 validUntil) external {
        Actor memory actor = _liveActor();
        _requireFreeAccount(account);
        if (validUntil != 0 && validUntil <= block.timestamp) revert ZeroValue();
        _pending[account] = Pending(actor.orgId, validUntil);
        emit SigningKeyProposed(account, actor.orgId, validUntil);
    }

    function acceptSigningKey(bytes32 orgId) external {
        Pending memory p = _pending[msg.sender];
        if (p.orgId == 0 || p.orgId != orgId) revert NoPendingKey(msg.sender);
        delete _pending[msg.sender];
        Org storage o = _orgs[p.orgId];
        if (!o.active) revert NotOrgKey(msg.sender, p.orgId);
        _addKey(p.orgId, o, msg.sender, p.validUntil, p.orgId);
    }

    function removeSigningKey(address account) external {
        Actor memory actor = _liveActor();
        Key storage k = _keys[account];
        if (k.orgId != actor.orgId) revert NotOrgKey(msg.sender, k.orgId);
        if (!_live(k, uint64(block.timestamp))) revert KeyNotLive(account);
        k.info.validUntil = uint40(block.timestamp);
        emit SigningKeyRemoved(account, actor.orgId, _keyView(k));
    }

    function markKeyCompromised(address account, uint64 since) external {
        Key storage k = _keys[account];
        bytes32 actorOrg;
        if (msg.sender == account && k.orgId != 0) {
            // the key's holder: any time inside the window, even after the key was removed
            actorOrg = k.orgId;
            _checkCompromiseTime(account, k, since, uint64(block.timestamp));
        } else {
            Actor memory actor = _liveActor();
            if (k.orgId != actor.orgId) revert NotOrgKey(msg.sender, k.orgId);
            actorOrg = actor.orgId;
            if (since != block.timestamp) {
                revert InvalidCompromiseTime(account, since, uint64(block.timestamp), uint64(block.timestamp));
            }
        }
        _markCompromised(account, k, since, actorOrg);
    }

    function setRegistrarTerms(uint64 noticeWindow, uint64 certificateTerm) external {
        bytes32 registrar = _actorOfKind(ILedgerDirectory.OrgKind.Registrar).orgId;
        TermBounds memory b = _bounds;
        uint64 n = noticeWindow == 0 ? DEFAULT_NOTICE_WINDOW : noticeWindow;
        uint64 t = certificateTerm == 0 ? DEFAULT_CERTIFICATE_TERM : certificateTerm;
        if (n < b.noticeMin || n > b.noticeMax || t < b.termMin || t > b.termMax) {
            revert TermsOutOfBounds(noticeWindow, certificateTerm, b);
        }
        _setTerms(registrar, n, t);
        emit RegistrarTermsSet(registrar, n, t);
    }

    // ================================================================ agreements

    function proposeAgreement(bytes32 partner) external returns (bytes32 id) {
        bytes32 actor;
        Agreement storage ag;
        (actor, id, ag) = _agreementWith(partner);
        if (ag.status == AgreementStatus.Proposed || ag.status == AgreementStatus.Active) {
            revert IllegalAgreementTransition(id, ag.status, AgreementStatus.Withdrawn);
        }
        ag.proposerOrgId = actor;
        ag.partnerOrgId = partner;
        _setAgreement(id, ag, AgreementStatus.Proposed, actor);
    }

    function acceptAgreement(bytes32 proposer) external returns (bytes32 id) {
        bytes32 actor;
        Agreement storage ag;
        (actor, id, ag) = _agreementWith(proposer);
        if (ag.status != AgreementStatus.Proposed || ag.partnerOrgId != actor) {
            revert IllegalAgreementTransition(id, ag.status, AgreementStatus.Proposed);
        }
        _setAgreement(id, ag, AgreementStatus.Active, actor);
    }

    function withdrawAgreement(bytes32 partner) external returns (bytes32 id) {
        bytes32 actor;
        Agreement storage ag;
        (actor, id, ag) = _agreementWith(partner);
        if (ag.status != AgreementStatus.Proposed && ag.status != AgreementStatus.Active) {
            revert IllegalAgreementTransition(id, ag.status, AgreementStatus.Active);
        }
        _setAgreement(id, ag, AgreementStatus.Withdrawn, actor);
    }

    // ================================================================ governance

    function propose(ProposalKind kind, bytes calldata params) external returns (bytes32 id) {
        if (_bootstrapper != address(0)) revert GovernanceNotLive();
        bytes32 registrar = _actorOfKind(ILedgerDirectory.OrgKind.Registrar).orgId;
        id = keccak256(abi.encode(kind, keccak256(params), registrar, _proposalNonce[registrar]++));
        Proposal storage p = _proposals[id];
        p.kind = kind;
        _proposalTo(id, p, ProposalStatus.Open);
        p.createdAt = uint64(block.timestamp);
        p.expiresAt = uint64(block.timestamp) + PROPOSAL_TTL;
        p.proposerOrgId = registrar;
        p.params = params;
        p.approvals = 1;
        _approved[id][registrar] = true;
        emit ProposalCreated(id, registrar, p);
    }

    function approve(bytes32 id) external {
        bytes32 registrar = _actorOfKind(ILedgerDirectory.OrgKind.Registrar).orgId;
        Proposal storage p = _proposals[id];
        if (p.status != ProposalStatus.Open) {
            if (p.status == ProposalStatus.None) revert UnknownProposal(id);
            revert ProposalNotOpen(id, p.status);
        }
        if (block.timestamp >= p.expiresAt) revert ProposalExpired(id, p.expiresAt);
        if (_approved[id][registrar]) revert AlreadyApproved(id, registrar);
        _approve(id, p, registrar);
    }

    function cancelProposal(bytes32 id) external {
        bytes32 registrar = _actorOfKind(ILedgerDirectory.OrgKind.Registrar).orgId;
        Proposal storage p = _proposals[id];
        if (p.status != ProposalStatus.Open) revert ProposalNotOpen(id, p.status);
        if (p.proposerOrgId != registrar) revert NotOrgKey(msg.sender, p.proposerOrgId);
        _proposalTo(id, p, ProposalStatus.Cancelled);
        emit ProposalCancelled(id, registrar, p);
    }

    // ================================================================ views

    function actorOf(address account) public view returns (Actor memory a) {
        Key storage k = _keys[account];
        KeyInfo memory i = k.info;
        if (i.active && _liveInfo(i, uint64(block.timestamp))) a = Actor(k.orgId, i.kind, i.city, i.index);
    }

    function actorInfo(address account) external view returns (uint32 index, ILedgerDirectory.OrgKind kind, uint32 city) {
        Key storage k = _keys[account];
        uint256 w;
        assembly ("memory-safe") {
            w := sload(k.slot)
        }
        uint256 t = block.timestamp;
        uint256 until = uint40(w >> 120);
        uint256 compromised = uint40(w >> 160);
        if (
            uint8(w >> 40) != 0 && uint32(w >> 48) != 0 && uint40(w >> 80) <= t && (until == 0 || t < until)
                && (compromised == 0 || t < compromised)
        ) return (uint32(w >> 48), ILedgerDirectory.OrgKind(uint8(w)), uint32(w >> 8));
    }

    function actorWithTerms(address account)
        external
        view
        returns (Actor memory a, uint64 noticeWindow, uint64 certificateTerm)
    {
        Key storage k = _keys[account];
        KeyInfo memory i = k.info;
        if (i.active && _liveInfo(i, uint64(block.timestamp))) {
            a = Actor(k.orgId, i.kind, i.city, i.index);
            (noticeWindow, certificateTerm) = (i.noticeWindow, i.certificateTerm);
        }
    }

    function accountOrg(address account)
        external
        view
        returns (bytes32 orgId, ILedgerDirectory.OrgKind kind, uint32 city, bool active)
    {
        Key storage k = _keys[account];
        KeyInfo memory i = k.info;
        if (!_liveInfo(i, uint64(block.timestamp))) return (0, ILedgerDirectory.OrgKind.None, 0, false);
        return (k.orgId, i.kind, i.city, i.active);
    }

    function termsOf(bytes32 registrarOrgId) public view returns (uint64 noticeWindow, uint64 certificateTerm) {
        uint128 raw = _terms[registrarOrgId];
        return (uint64(raw >> 64), uint64(raw));
    }

    function org(bytes32 orgId) external view returns (Org memory) {
        return _orgs[orgId];
    }

    function orgIdAt(uint32 index) external view returns (bytes32) {
        return _orgIdAt[index];
    }

    function registrarOf(uint32 city) external view returns (bytes32) {
        return _registrarOf[city];
    }

    function signingKey(address account) external view returns (SigningKey memory) {
        return _keyView(_keys[account]);
    }

    function pendingKey(address account) external view returns (bytes32 orgId, uint64 validUntil) {
        Pending memory p = _pending[account];
        return (p.orgId, p.validUntil);
    }

    function orgKeys(bytes32 orgId) external view returns (address[] memory) {
        return _orgKeys[orgId];
    }

    function termBounds() external view returns (TermBounds memory) {
        return _bounds;
    }

    function hardLimits() external view returns (TermBounds memory) {
        return TermBounds(_noticeFloor, NOTICE_CEILING, TERM_FLOOR, TERM_CEILING);
    }

    function threshold() external view returns (uint32) {
        return _threshold;
    }

    function activeRegistrars() external view returns (uint32) {
        return _activeRegistrars;
    }

    function bootstrapper() external view returns (address) {
        return _bootstrapper;
    }

    function proposal(bytes32 id) external view returns (Proposal memory) {
        return _proposals[id];
    }

    function agreement(bytes32 id) external view returns (Agreement memory) {
        return _agreements[id];
    }

    function agreementActive(bytes32 a, bytes32 b) external view returns (bool) {
        return _agreements[_agreementId(a, b)].status == AgreementStatus.Active;
    }

    function hasApproved(bytes32 id, bytes32 registrarOrgId) external view returns (bool) {
        return _approved[id][registrarOrgId];
    }

    // ================================================================ internals: agreements

    function _agreementId(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function _agreementWith(bytes32 other) private view returns (bytes32 actor, bytes32 id, Agreement storage ag) {
        actor = _actorOfKind(ILedgerDirectory.OrgKind.Registrar).orgId;
        if (other == actor) revert SelfAgreement(actor);
        if (_orgs[other].kind != ILedgerDirectory.OrgKind.Registrar) revert UnknownRegistrar(other);
        id = _agreementId(actor, other);
        ag = _agreements[id];
    }

    function _setAgreement(bytes32 id, Agreement storage ag, AgreementStatus s, bytes32 actor) private {
        ag.status = s;
        ag.updatedAt = uint64(block.timestamp);
        emit AgreementChanged(id, actor, ag);
    }

    // ================================================================ internals: governance

    function _onlyBootstrapper() private view {
        if (msg.sender != _bootstrapper || _bootstrapper == address(0)) revert NotBootstrapper(msg.sender);
    }

    function _approve(bytes32 id, Proposal storage p, bytes32 registrar) private {
        _approved[id][registrar] = true;
        ++p.approvals;
        if (p.approvals < _threshold) {
            emit ProposalApproved(id, registrar, p);
            return;
        }
        _proposalTo(id, p, ProposalStatus.Executed);
        _execute(p.kind, p.params, registrar);
        emit ProposalExecuted(id, registrar, p);
    }

    /// @dev The one transition function of a proposal: None -> Open -> Executed | Cancelled.
    function _proposalTo(bytes32 id, Proposal storage p, ProposalStatus to) private {
        ProposalStatus from = p.status;
        bool ok = to == ProposalStatus.Open ? from == ProposalStatus.None : from == ProposalStatus.Open;
        if (!ok) revert ProposalNotOpen(id, from);
        p.status = to;
    }

    function _execute(ProposalKind kind, bytes memory params, bytes32 actor) private {
        if (kind == ProposalKind.AdmitRegistrar) {
            (uint32 city, bytes32 nameHash, address account) = abi.decode(params, (uint32, bytes32, address));
            _admitRegistrar(city, nameHash, account, actor);
        } else if (kind == ProposalKind.SetRegistrarActive) {
            (bytes32 orgId, bool active) = abi.decode(params, (bytes32, bool));
            Org storage o = _knownOrg(orgId);
            if (o.kind != ILedgerDirectory.OrgKind.Registrar) revert InvalidOrgKind(o.kind);
            if (!active && o.active && _activeRegistrars - 1 < _threshold) {
                revert InvalidThreshold(_threshold, _activeRegistrars - 1);
            }
            _setActive(orgId, o, active, actor);
        } else if (kind == ProposalKind.SetTermBounds) {
            TermBounds memory b = abi.decode(params, (TermBounds));
            if (
                b.noticeMin < _noticeFloor || b.noticeMax > NOTICE_CEILING || b.noticeMin > b.noticeMax
                    || b.termMin < TERM_FLOOR || b.termMax > TERM_CEILING || b.termMin > b.termMax
            ) revert InvalidTermBounds(b);
            _bounds = b;
            uint256 count = _cities.length;
            for (uint256 i = 0; i < count; ++i) {
                bytes32 registrar = _registrarOf[_cities[i]];
                (uint64 n, uint64 t) = termsOf(registrar);
                (n, t) = _clampTerms(n, t, b);
                _setTerms(registrar, n, t);
            }
            emit TermBoundsSet(b);
            for (uint256 i = 0; i < count; ++i) {
                bytes32 registrar = _registrarOf[_cities[i]];
                (uint64 n, uint64 t) = termsOf(registrar);
                emit RegistrarTermsSet(registrar, n, t);
            }
        } else if (kind == ProposalKind.SetThreshold) {
            uint32 t = abi.decode(params, (uint32));
            if (t < 2 || t > _activeRegistrars) revert InvalidThreshold(t, _activeRegistrars);
            _threshold = t;
            emit ThresholdSet(t, _activeRegistrars);
        } else if (kind == ProposalKind.MarkKeyCompromised) {
            (address account, uint64 since) = abi.decode(params, (address, uint64));
            Key storage k = _keys[account];
            if (k.orgId == 0) revert KeyNotLive(account);
            _checkCompromiseTime(account, k, since, uint64(block.timestamp));
            _markCompromised(account, k, since, actor);
        } else {
            (address target, address token, address to) = abi.decode(params, (address, address, address));
            ISweepable(target).sweep(token, to);
        }
    }

    function _admitRegistrar(uint32 city, bytes32 nameHash, address account, bytes32 actor)
        private
        returns (bytes32 orgId)
    {
        bytes32 existing = _registrarOf[city];
        if (existing != 0) revert RegistrarExists(city, existing);
        // written before _newOrg emits (every event after all writes)
        bytes32 id = keccak256(abi.encode(ILedgerDirectory.OrgKind.Registrar, city, nameHash));
        _registrarOf[city] = id;
        _cities.push(city);
        ++_activeRegistrars;
        (uint64 n, uint64 t) = _clampTerms(DEFAULT_NOTICE_WINDOW, DEFAULT_CERTIFICATE_TERM, _bounds);
        _terms[id] = (uint128(n) << 64) | t;
        orgId = _newOrg(ILedgerDirectory.OrgKind.Registrar, city, nameHash, account, actor);
        emit RegistrarTermsSet(orgId, n, t);
    }

    // ================================================================ internals: orgs and keys

    function _live(Key storage k, uint64 t) private view returns (bool) {
        return _liveInfo(k.info, t);
    }

    function _liveInfo(KeyInfo memory i, uint64 t) private pure returns (bool) {
        return i.index != 0 && i.validFrom <= t && (i.validUntil == 0 || t < i.validUntil)
            && (i.compromisedAt == 0 || t < i.compromisedAt);
    }

    function _keyView(Key storage k) private view returns (SigningKey memory) {
        return SigningKey(k.orgId, k.info.validFrom, k.info.validUntil, k.info.compromisedAt);
    }

    function _liveActor() private view returns (Actor memory a) {
        a = actorOf(msg.sender);
        if (a.orgId == 0) revert NotOrgKey(msg.sender, _keys[msg.sender].orgId);
    }

    function _actorOfKind(ILedgerDirectory.OrgKind kind) private view returns (Actor memory a) {
        a = actorOf(msg.sender);
        if (a.kind != kind) revert NotOrgOfKind(msg.sender, kind);
    }

    function _knownOrg(bytes32 orgId) private view returns (Org storage o) {
        o = _orgs[orgId];
        if (o.kind == ILedgerDirectory.OrgKind.None) revert UnknownOrg(orgId);
    }

    function _requireFreeAccount(address account) private view {
        if (account == address(0)) revert ZeroValue();
        bytes32 owner = _keys[account].orgId;
        if (owner != 0) revert AccountInUse(account, owner);
    }

    function _newOrg(ILedgerDirectory.OrgKind kind, uint32 city, bytes32 nameHash, address account, bytes32 actor)
        private
        returns (bytes32 orgId)
    {
        if (city == 0 || nameHash == 0) revert ZeroValue();
        orgId = keccak256(abi.encode(kind, city, nameHash));
        Org storage o = _orgs[orgId];
        if (o.kind != ILedgerDirectory.OrgKind.None) revert OrgExists(orgId);
        _requireFreeAccount(account);
        uint32 index = ++_orgCount;
        o.kind = kind;
        o.city = city;
        o.active = true;
        o.index = index;
        _orgIdAt[index] = orgId;
        _addKey(orgId, o, account, 0, actor);
        emit OrgAdmitted(orgId, actor, o, nameHash);
    }

    function _addKey(bytes32 orgId, Org storage o, address account, uint64 validUntil, bytes32 actor) private {
        _requireFreeAccount(account);
        if (o.keyCount >= MAX_KEYS_PER_ORG) revert TooManyKeys(orgId, MAX_KEYS_PER_ORG);
        ++o.keyCount;
        _orgKeys[orgId].push(account);
        Key storage k = _keys[account];
        k.orgId = orgId;
        k.info.kind = o.kind;
        k.info.city = o.city;
        k.info.active = o.active;
        k.info.index = o.index;
        k.info.validFrom = uint40(block.timestamp);
        k.info.validUntil = uint40(validUntil);
        if (o.kind == ILedgerDirectory.OrgKind.Registrar) {
            (uint64 n, uint64 t) = termsOf(orgId);
            k.info.noticeWindow = uint24(n);
            k.info.certificateTerm = uint32(t);
        }
        emit SigningKeyAdded(account, actor, _keyView(k));
    }

    /// @dev The one transition of an organisation's activation (keys follow the org).
    function _setActive(bytes32 orgId, Org storage o, bool active, bytes32 actor) private {
        if (o.active != active && o.kind == ILedgerDirectory.OrgKind.Registrar) {
            if (active) ++_activeRegistrars;
            else --_activeRegistrars;
        }
        o.active = active;
        address[] storage keys = _orgKeys[orgId];
        for (uint256 i = 0; i < keys.length; ++i) {
            _keys[keys[i]].info.active = active;
        }
        emit OrgActivationChanged(orgId, actor, o);
    }

    /// @dev The one write of a registrar's terms: the mapping and a copy in each of its keys.
    function _setTerms(bytes32 registrar, uint64 n, uint64 t) private {
        _terms[registrar] = (uint128(n) << 64) | t;
        address[] storage keys = _orgKeys[registrar];
        for (uint256 i = 0; i < keys.length; ++i) {
            KeyInfo storage info = _keys[keys[i]].info;
            info.noticeWindow = uint24(n);
            info.certificateTerm = uint32(t);
        }
    }

    function _checkCompromiseTime(address account, Key storage k, uint64 since, uint64 latest) private view {
        if (since < k.info.validFrom || since > latest) revert InvalidCompromiseTime(account, since, k.info.validFrom, latest);
    }

    function _markCompromised(address account, Key storage k, uint64 since, bytes32 actor) private {
        if (k.info.compromisedAt == 0 || since < k.info.compromisedAt) k.info.compromisedAt = uint40(since);
        emit SigningKeyCompromised(account, actor, _keyView(k));
    }

    function _clampTerms(uint64 n, uint64 t, TermBounds memory b) private pure returns (uint64, uint64) {
        return (_clamp(n, b.noticeMin, b.noticeMax), _clamp(t, b.termMin, b.termMax));
    }

    function _clamp(uint64 v, uint64 lo, uint64 hi) private pure returns (uint64) {
        return v < lo ? lo : (v > hi ? hi : v);
    }
}
