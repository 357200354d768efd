<?php
/**
 * Router for PHP's built-in web server in front of the real MediaWiki (wikiscore.localwiki).
 *
 * 1. Appends one JSON line per request to DIR/access.log (method, URI, User-Agent,
 *    Accept-Encoding, X-Forwarded-For; never request bodies, which may hold passwords).
 * 2. Injects faults described by DIR/faults.json, so fault tests still talk to a real MediaWiki:
 *    {"faults": [{"kind": "delay"|"status"|"truncate", "path": "api.php", "times": 2, ...}]}
 *    - delay:    "seconds" (float), then MediaWiki answers normally.
 *    - status:   "status" (int), optional "retry_after", "headers", "body", "content_type" (HTML
 *                error page: {"status": 200, "content_type": "text/html", "body": "<html>..."}).
 *    - truncate: MediaWiki's real answer cut to "bytes" (default: half); with "full_length":
 *                true the Content-Length still announces the whole body (connection cut short).
 *    "path" is a substring of the request URI (default "api.php"); "user_agent", if given, a
 *    substring the User-Agent must contain (so one test's faults do not hit other clients);
 *    "times" is how many requests the fault applies to (null or absent: all), counted down.
 *    Requests with the header X-Wikiscore-No-Fault pass through (used by "truncate" itself).
 * 3. Otherwise returns false: the built-in server runs MediaWiki's own script.
 */

$dir = getenv( 'WIKISCORE_WIKI_DIR' );
$uri = $_SERVER['REQUEST_URI'] ?? '/';
$bypass = isset( $_SERVER['HTTP_X_WIKISCORE_NO_FAULT'] );

if ( $dir !== false && !$bypass ) {
	$entry = [
		'time' => microtime( true ),
		'method' => $_SERVER['REQUEST_METHOD'] ?? '',
		'uri' => $uri,
		'user_agent' => $_SERVER['HTTP_USER_AGENT'] ?? null,
		'accept_encoding' => $_SERVER['HTTP_ACCEPT_ENCODING'] ?? null,
		'forwarded_for' => $_SERVER['HTTP_X_FORWARDED_FOR'] ?? null,
	];
	file_put_contents( "$dir/access.log", json_encode( $entry ) . "\n", FILE_APPEND | LOCK_EX );
}

function wikiscore_take_fault( string $dir, string $uri, string $agent ): ?array {
	$file = "$dir/faults.json";
	if ( !is_file( $file ) ) {
		return null;
	}
	$fh = fopen( $file, 'c+' );
	if ( $fh === false ) {
		return null;
	}
	flock( $fh, LOCK_EX );
	$data = json_decode( stream_get_contents( $fh ), true );
	$chosen = null;
	if ( is_array( $data ) && isset( $data['faults'] ) && is_array( $data['faults'] ) ) {
		foreach ( $data['faults'] as $i => $fault ) {
			$path = $fault['path'] ?? 'api.php';
			$times = $fault['times'] ?? null;
			if ( strpos( $uri, $path ) === false || ( $times !== null && $times <= 0 ) ) {
				continue;
			}
			if ( isset( $fault['user_agent'] ) && strpos( $agent, $fault['user_agent'] ) === false ) {
				continue;
			}
			$chosen = $fault;
			if ( $times !== null ) {
				$data['faults'][$i]['times'] = $times - 1;
				ftruncate( $fh, 0 );
				rewind( $fh );
				fwrite( $fh, json_encode( $data ) );
				fflush( $fh );
			}
			break;
		}
	}
	flock( $fh, LOCK_UN );
	fclose( $fh );
	return $chosen;
}

function wikiscore_fetch_real( string $uri ): array {
	$headers = [ 'X-Wikiscore-No-Fault: 1', 'Accept-Encoding: identity' ];
	foreach ( [ 'CONTENT_TYPE' => 'Content-Type', 'HTTP_COOKIE' => 'Cookie',
		'HTTP_USER_AGENT' => 'User-Agent', 'HTTP_X_FORWARDED_FOR' => 'X-Forwarded-For' ]
		as $key => $name
	) {
		if ( isset( $_SERVER[$key] ) ) {
			$headers[] = "$name: {$_SERVER[$key]}";
		}
	}
	$context = stream_context_create( [ 'http' => [
		'method' => $_SERVER['REQUEST_METHOD'] ?? 'GET',
		'header' => implode( "\r\n", $headers ),
		'content' => file_get_contents( 'php://input' ),
		'ignore_errors' => true,
		'timeout' => 60,
	] ] );
	$url = 'http://127.0.0.1:' . $_SERVER['SERVER_PORT'] . $uri;
	$body = file_get_contents( $url, false, $context );
	$type = 'application/json; charset=utf-8';
	$status = 200;
	foreach ( $http_response_header ?? [] as $line ) {
		if ( preg_match( '#^HTTP/\S+ (\d+)#', $line, $m ) ) {
			$status = (int)$m[1];
		} elseif ( stripos( $line, 'Content-Type:' ) === 0 ) {
			$type = trim( substr( $line, 13 ) );
		}
	}
	return [ $status, $type, $body === false ? '' : $body ];
}

$agent = $_SERVER['HTTP_USER_AGENT'] ?? '';
$fault = ( $dir !== false && !$bypass ) ? wikiscore_take_fault( $dir, $uri, $agent ) : null;
if ( $fault === null ) {
	return false;
}

switch ( $fault['kind'] ?? '' ) {
	case 'delay':
		usleep( (int)( ( $fault['seconds'] ?? 1.0 ) * 1e6 ) );
		return false;

	case 'status':
		http_response_code( (int)( $fault['status'] ?? 503 ) );
		if ( isset( $fault['retry_after'] ) ) {
			header( 'Retry-After: ' . $fault['retry_after'] );
		}
		foreach ( $fault['headers'] ?? [] as $name => $value ) {
			header( "$name: $value" );
		}
		header( 'Content-Type: ' . ( $fault['content_type'] ?? 'text/plain; charset=utf-8' ) );
		echo $fault['body'] ?? "Injected fault\n";
		return true;

	case 'truncate':
		[ $status, $type, $body ] = wikiscore_fetch_real( $uri );
		$cut = substr( $body, 0, (int)( $fault['bytes'] ?? intdiv( strlen( $body ), 2 ) ) );
		http_response_code( $status );
		header( "Content-Type: $type" );
		header( 'Content-Length: ' . ( empty( $fault['full_length'] ) ? strlen( $cut ) : strlen( $body ) ) );
		echo $cut;
		return true;

	default:
		return false;
}
