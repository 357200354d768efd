<?php
/**
 * Create (or update) user accounts from a JSON file, in one process.
 *
 * The file is a list of {"name": ..., "password": ..., "groups": [...], "registration":
 * "YYYYMMDDHHMMSS" or null}. Existing accounts get their password, groups and registration
 * updated. Used by wikiscore.localwiki before importing a dump, so that imported edits belong to
 * real local accounts (with plausible registration dates) instead of "imported>Name".
 */

$IP = getenv( 'MW_INSTALL_PATH' ) ?: '/usr/share/mediawiki';
require_once "$IP/maintenance/Maintenance.php";

use MediaWiki\MediaWikiServices;

class WikiscoreCreateUsers extends Maintenance {
	public function __construct() {
		parent::__construct();
		$this->addDescription( 'Create user accounts listed in a JSON file' );
		$this->addArg( 'file', 'JSON list of users' );
	}

	public function execute() {
		$users = json_decode( file_get_contents( $this->getArg( 0 ) ), true );
		if ( !is_array( $users ) ) {
			$this->fatalError( 'not a JSON list' );
		}
		$services = MediaWikiServices::getInstance();
		$groupManager = $services->getUserGroupManager();
		$dbw = $services->getDBLoadBalancer()->getConnection( DB_PRIMARY );
		foreach ( $users as $spec ) {
			$user = $services->getUserFactory()->newFromName( $spec['name'] );
			if ( !is_object( $user ) ) {
				$this->fatalError( "invalid user name: {$spec['name']}" );
			}
			$exists = ( $user->idForName() !== 0 );
			if ( !$exists ) {
				$status = $services->getAuthManager()->autoCreateUser(
					$user, MediaWiki\Auth\AuthManager::AUTOCREATE_SOURCE_MAINT, false
				);
				if ( !$status->isGood() ) {
					$this->fatalError( $status->getMessage( false, false, 'en' )->text() );
				}
				SiteStatsUpdate::factory( [ 'users' => 1 ] )->doUpdate();
			}
			$status = $user->changeAuthenticationData( [
				'username' => $user->getName(),
				'password' => $spec['password'],
				'retype' => $spec['password'],
			] );
			if ( !$status->isGood() ) {
				$this->fatalError( $status->getMessage( false, false, 'en' )->text() );
			}
			$groups = array_diff( $spec['groups'] ?? [], $groupManager->getUserGroups( $user ) );
			if ( $groups ) {
				$groupManager->addUserToMultipleGroups( $user, $groups );
			}
			if ( !empty( $spec['registration'] ) ) {
				$dbw->update(
					'user',
					[ 'user_registration' => $dbw->timestamp( $spec['registration'] ) ],
					[ 'user_id' => $user->getId() ],
					__METHOD__
				);
			}
			$this->output( $user->getName() . "\n" );
		}
	}
}

$maintClass = WikiscoreCreateUsers::class;
require_once RUN_MAINTENANCE_IF_MAIN;
