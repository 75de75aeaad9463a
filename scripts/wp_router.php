<?php
// Router for `php -S` serving Debian's WordPress (/usr/share/wordpress):
// real files are served as they are, uploads come from /var/lib/wordpress, and every other path
// (pretty permalinks, /wp-json/...) goes through index.php like Apache's rewrite rules would.

$root = '/usr/share/wordpress';
$path = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');

if (str_contains($path, '..')) {
    http_response_code(400);
    return true;
}

// Debian keeps wp-content (uploads, themes, plugins) in /var/lib/wordpress.
if (str_starts_with($path, '/wp-content/')) {
    $file = '/var/lib/wordpress' . $path;
    if (is_file($file) && !str_ends_with($file, '.php')) {
        $types = ['png' => 'image/png', 'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg',
                  'gif' => 'image/gif', 'webp' => 'image/webp', 'css' => 'text/css',
                  'js' => 'application/javascript', 'svg' => 'image/svg+xml'];
        $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
        header('Content-Type: ' . ($types[$ext] ?? 'application/octet-stream'));
        header('Content-Length: ' . filesize($file));
        readfile($file);
        return true;
    }
}

$file = $root . $path;
if (is_file($file)) {
    return false;  // php -S serves static files and runs .php scripts itself
}
if (is_dir($file) && is_file(rtrim($file, '/') . '/index.php')) {
    $script = rtrim($path, '/') . '/index.php';
} else {
    $script = '/index.php';
}
$_SERVER['SCRIPT_NAME'] = $script;
$_SERVER['PHP_SELF'] = $script;
$_SERVER['SCRIPT_FILENAME'] = $root . $script;
chdir(dirname($root . $script));
require $root . $script;
