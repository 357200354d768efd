<?php
# --- wikiscore local wiki settings (appended to LocalSettings.php by wikiscore.localwiki) ---
# A throwaway wiki for tests and the demo, served by PHP's built-in server on 127.0.0.1 only.

# A throwaway wiki: SQLite need not wait for the disk after every write (fdatasync made a small
# import four times slower). The object cache, job queue and l10n cache are set to OFF too.
$wgDBservers = [ [
	'host' => $wgDBserver,
	'dbname' => $wgDBname,
	'user' => $wgDBuser,
	'password' => $wgDBpassword,
	'type' => 'sqlite',
	'load' => 1,
	'flags' => DBO_DEFAULT,
	'variables' => [ 'synchronous' => 'OFF' ],
] ];
# Cheap password hashing: accounts are made by the hundred and logins happen in every test.
$wgPasswordConfig['pbkdf2']['cost'] = '1000';
# Keep (old) imported edits in recentchanges.
$wgRCMaxAge = 50 * 365 * 86400;
$wgShowExceptionDetails = true;
# Follow whatever port the built-in server listens on (the wiki may move to a free port).
if ( PHP_SAPI === 'cli-server' ) {
	$wgServer = WebRequest::detectServer();
}
# Test aid: DIR/fake-lag holds a number of seconds of replication lag the API reports (maxlag).
$wgHooks['ApiMaxLagInfo'][] = static function ( &$lag ) {
	$f = __DIR__ . '/fake-lag';
	if ( is_readable( $f ) ) {
		$lag = [ 'host' => 'fake-replica', 'lag' => (int)file_get_contents( $f ), 'type' => 'db' ];
	}
};
# Edits "from" any IPv4/IPv6 address: trust X-Forwarded-For from the local harness only.
$wgCdnServers = [ '127.0.0.1', '::1' ];
$wgUsePrivateIPs = true;
# Replaying realistic edits needs many accounts and anonymous edits in a short time.
$wgRateLimits = [];
$wgAccountCreationThrottle = 0;
$wgPasswordAttemptThrottle = false;
$wgEnableBotPasswords = true;
# Jobs (e.g. the mw-reverted tag) run only when asked (wikiscore.localwiki.run_jobs).
$wgJobRunRate = 0;
$wgEnableEmail = false;
$wgEmailAuthentication = false;
$wgPingback = false;
