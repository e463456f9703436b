# Debian's rubygems integration (rubygems/defaults/operating_system.rb from the ruby-rubygems
# package), relocated: the same gem directories, under wherever this Ruby was unpacked (RbConfig's
# prefix follows rbconfig.rb's location) instead of /usr. Debian's own copy names /usr and
# /var/lib/gems, which a Ruby vendored into the slug does not have.
class << Gem
  OPERATING_SYSTEM_DEFAULTS = {
    ssl_ca_cert: '/etc/ssl/certs/ca-certificates.crt'
  }.freeze

  alias upstream_default_path default_path
  def default_path
    prefix = RbConfig::CONFIG['prefix']
    arch = RbConfig::CONFIG['arch']
    api_version = RbConfig::CONFIG['ruby_version']
    upstream_default_path + [
      "#{prefix}/lib/#{arch}/ruby/gems/#{api_version}",
      "#{prefix}/share/rubygems-integration/#{api_version}",
      "#{prefix}/share/rubygems-integration/all",
      "#{prefix}/lib/#{arch}/rubygems-integration/#{api_version}"
    ]
  end
end
