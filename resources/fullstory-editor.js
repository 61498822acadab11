// Editor code the three FullStory nodes share: validators, the declared-types list, the batch
// settings, typedInputs. Node-RED serves this package's resources/ folder to the editor; each
// node's .html loads this file (after fullstory-settings.js, the table of ranges it reads) with
// <script src="resources/node-red-contrib-fullstory/fullstory-editor.js">, and Node-RED runs a
// node's own scripts only once those have loaded, so window.FullStoryEditor is there by then.
// Texts stay in each node's own catalog: functions that show one take that node's translate
// function `t`.
(function () {
    'use strict';
    // Each node's .html loads this file: define it once.
    if (window.FullStoryEditor) { return; }
    // The settings table (fullstory-settings.js) is read on first use, not here: Node-RED loads a
    // node's <script src> files in parallel and runs each as it arrives, so the table may come
    // after this file. Both have loaded before any node's own script runs.
    var table = null;
    var RANGES = {};
    function settingsTable() {
        if (table) { return table; }
        table = window.FullStorySettings;
        // Every number setting's range and default, by field.
        Object.keys(table.ranges).forEach(function (group) {
            Object.keys(table.ranges[group]).forEach(function (field) { RANGES[field] = table.ranges[group][field]; });
        });
        return table;
    }
    function rangeOf(field) { settingsTable(); return RANGES[field]; }

    var PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;
    var PROPERTY_TYPES = ['str', 'strs', 'int', 'ints', 'real', 'reals', 'bool', 'bools', 'date', 'dates'];
    var MODES = ['single', 'batch'];

    // Validators run for the node in the dialog (read the inputs) and for every other node (read
    // the node): remember which node the dialog is editing. One node dialog is open at a time.
    var editingId = null;
    function current(node, prop) {
        if (node && node.id === editingId) {
            var el = $('#node-input-' + prop);
            if (el.length) { return el.attr('type') === 'checkbox' ? el.prop('checked') : el.val(); }
        }
        return node ? node[prop] : undefined;
    }

    /** A number setting against its range in the table. */
    function inRange(t, field, v) {
        // Absent (a flow written by hand or by an older version): the runtime uses the default.
        if (v === undefined) { return true; }
        var r = rangeOf(field);
        var n = Number(v);
        var ok = v !== '' && v !== null && RED.validators.number()(v) &&
            isFinite(n) && n >= r.min && n <= r.max && (!r.integer || Math.floor(n) === n);
        if (ok) { return true; }
        return t(r.integer ? 'errors.integerRange' : 'errors.numberRange',
            { field: t('label.' + field), min: r.min, max: r.max });
    }

    /** Number inputs become spinners with their setting's range. prefix: 'node-input-' or 'node-config-input-'. */
    function spinners(prefix, fields) {
        fields.forEach(function (field) {
            var r = rangeOf(field);
            $('#' + prefix + field).spinner({ min: r.min, max: r.max, step: r.step || 1 });
        });
    }

    function oneOf(t, allowed, errorKey, v) {
        return v === undefined || allowed.indexOf(v) !== -1 ? true : t(errorKey);
    }

    /** Checks the JSON text `{ "name": "type" }` the declared-types list writes. */
    function propertyTypesProblem(t, text) {
        if (text == null || String(text).trim() === '') { return null; }
        var value;
        try { value = JSON.parse(text); } catch (e) { return t('errors.propertyTypesJson', { error: e.message }); }
        if (!value || typeof value !== 'object' || Array.isArray(value)) { return t('errors.propertyTypesObject'); }
        var names = Object.keys(value);
        for (var i = 0; i < names.length; i++) {
            if (!PROPERTY_NAME.test(names[i]) || names[i].length > 512) { return t('errors.propertyName', { name: names[i] }); }
            if (PROPERTY_TYPES.indexOf(value[names[i]]) === -1) {
                return t('errors.propertyType', { name: names[i], type: String(value[names[i]]), types: PROPERTY_TYPES.join(', ') });
            }
        }
        return null;
    }

    /** The declared property types editor: an editable list kept in sync with the hidden JSON. */
    function propertyTypesEditor(t, prefix) {
        // The hidden input is what is stored and validated; the list rewrites it on every edit.
        // An unreadable stored value stays as it is (and is flagged) until the list is edited.
        var typesInput = $('#node-input-propertyTypes');
        var storedTypes = typesInput.val() || '';
        var typesList = $('#' + prefix + '-property-types');
        var warning = $('#' + prefix + '-property-types-warning');
        // A removed row stays in the DOM while it fades out (300 ms) and editableList calls
        // removeItem only after that: Done clicked meanwhile would save it. So a click on a row's
        // remove button marks the row as gone at once, and every read skips marked rows.
        var REMOVED = 'fs-pt-removed';
        function isRemoved(row) {
            var li = row.closest('li');
            return li.hasClass(REMOVED) || li.hasClass('red-ui-editableList-item-deleting');
        }
        function syncTypes() {
            var out = {};
            var seen = {};
            typesList.editableList('items').each(function () {
                var row = $(this);
                if (isRemoved(row)) { return; }
                var nameInput = row.find('.fs-pt-name');
                var name = (nameInput.val() || '').trim();
                var problem = '';
                if (name !== '' && (!PROPERTY_NAME.test(name) || name.length > 512)) { problem = t('errors.propertyName', { name: name }); }
                else if (name !== '' && seen[name]) { problem = t('errors.propertyDuplicate', { name: name }); }
                nameInput.toggleClass('input-error', problem !== '').attr('title', problem);
                if (name !== '') {
                    seen[name] = true;
                    out[name] = row.find('.fs-pt-type').val();
                }
            });
            warning.hide();
            var text = Object.keys(out).length ? JSON.stringify(out) : '';
            if (typesInput.val() !== text) { typesInput.val(text).trigger('change'); }
        }
        // No min-height on the list itself: editableList would freeze its height at that value
        // and rows would overflow it; the list grows with its rows instead.
        typesList.css({ 'min-width': '420px' }).editableList({
            addButton: t('label.addType'),
            removable: true,
            sortable: false,
            height: 'auto',
            addItem: function (row, index, data) {
                row.css({ display: 'flex', 'align-items': 'center' });
                var name = $('<input type="text" class="fs-pt-name" style="flex:1 1 auto; min-width:120px;">')
                    .attr('placeholder', t('placeholder.propertyName'))
                    .val(data.name || '')
                    .appendTo(row);
                var select = $('<select class="fs-pt-type" style="width:45%; margin-left:10px;"></select>').appendTo(row);
                PROPERTY_TYPES.forEach(function (type) {
                    $('<option></option>').val(type).text(t('types.' + type)).appendTo(select);
                });
                select.val(PROPERTY_TYPES.indexOf(data.type) !== -1 ? data.type : 'int');
                name.on('input change', syncTypes);
                select.on('change', syncTypes);
            },
            // Also called when the fade ends, maybe after Done or Cancel closed the dialog (the
            // list is then gone): the click already saved the removal.
            removeItem: function () {
                if ($.contains(document.documentElement, typesList[0])) { syncTypes(); }
            }
        });
        // Runs after editableList's own click handler on the button (bubbling), which starts the fade.
        typesList.on('click', '.red-ui-editableList-item-remove', function () {
            $(this).closest('li').addClass(REMOVED);
            syncTypes();
        });
        typesList.closest('.red-ui-editableList-container').css('min-height', '36px');
        if (storedTypes.trim() !== '') {
            var parsed = null;
            try { parsed = JSON.parse(storedTypes); } catch (e) { parsed = null; }
            if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
                Object.keys(parsed).forEach(function (name) {
                    typesList.editableList('addItem', { name: name, type: parsed[name] });
                });
            }
            var storedProblem = propertyTypesProblem(t, storedTypes);
            if (storedProblem) {
                warning.text(t('errors.propertyTypesUnreadable', { problem: storedProblem })).show();
            }
            typesInput.val(storedTypes);
        }
    }

    var validate = {
        range: inRange,
        oneOf: oneOf,
        mode: function (t, v) {
            return oneOf(t, MODES, 'errors.mode', v);
        },
        propertyTypes: function (t, v) {
            return propertyTypesProblem(t, v) || true;
        },
        /**
         * A typedInput field's value. options: applies(node) (false: not used, so valid),
         * required (an empty fixed string is an error too), valueless (the types that take no
         * value; default ['none']), check(type, text) (a message for what else is wrong).
         */
        typedField: function (t, field, options, v) {
            if (options.applies && !options.applies(this)) { return true; }
            var type = current(this, field + 'Type') || 'none';
            if ((options.valueless || ['none']).indexOf(type) !== -1) { return true; }
            var text = v == null ? '' : String(v);
            var label = t('label.' + field);
            if ((options.required || type !== 'str') && text.trim() === '') { return t('errors.valueRequired', { field: label }); }
            var problem = options.check ? options.check(type, text) : null;
            if (problem) { return problem; }
            if (RED.utils && typeof RED.utils.validateTypedProperty === 'function') {
                var result = RED.utils.validateTypedProperty(text, type, { label: label });
                if (result !== true) { return typeof result === 'string' ? result : t('errors.invalidValue', { field: label }); }
            }
            return true;
        }
    };

    /**
     * A `validate` for a node's `defaults`: validator(t, 'range', 'batchSize') checks with
     * validate.range(t, 'batchSize', v), called on the node (`this`). Each returns true or the
     * message to show.
     */
    function validator(t, name) {
        var args = Array.prototype.slice.call(arguments, 2);
        return function (v, opt) {
            return validate[name].apply(this, [t].concat(args, [v]));
        };
    }

    window.FullStoryEditor = {
        /** The settings table (ranges, user fields per operation, associations with a value). */
        get settings() { return settingsTable(); },
        current: current,
        beginEdit: function (node) { editingId = node.id; },
        endEdit: function () { editingId = null; },

        validator: validator,

        /** A number setting's entry in a node's `defaults`: its default and range from the table. */
        numberSetting: function (t, field) {
            return { value: rangeOf(field).default, validate: validator(t, 'range', field) };
        },

        spinners: spinners,

        /**
         * A flow written by hand or by an older version may lack some settings: show the defaults
         * for them, as a node dragged from the palette would have. prefix: 'node-input-' or
         * 'node-config-input-'.
         */
        fillMissingDefaults: function (node, prefix) {
            var defaults = node._def.defaults;
            Object.keys(defaults).forEach(function (prop) {
                if (node[prop] !== undefined || defaults[prop].type) { return; }
                var input = $('#' + prefix + prop);
                if (input.attr('type') === 'checkbox') { input.prop('checked', !!defaults[prop].value); }
                else { input.val(defaults[prop].value); }
            });
        },

        /** The custom typedInput type "not set" (no value). */
        notSetType: function (t) {
            return { value: 'none', label: t('label.notSet'), icon: 'fa fa-ban', hasValue: false };
        },

        /**
         * Turns `#node-input-<field>` into typedInputs. fields: { field: { types, fallback } };
         * a stored type the list does not offer becomes the fallback ('none' unless given).
         */
        typedInputs: function (fields) {
            Object.keys(fields).forEach(function (field) {
                var types = fields[field].types;
                var fallback = fields[field].fallback || 'none';
                var typeInput = $('#node-input-' + field + 'Type');
                var known = types.map(function (type) { return typeof type === 'string' ? type : type.value; });
                if (known.indexOf(typeInput.val()) === -1) { typeInput.val(fallback); }
                $('#node-input-' + field).typedInput({
                    default: fallback,
                    types: types,
                    typeField: '#node-input-' + field + 'Type'
                });
            });
        },

        /**
         * The mode select and the batch settings (`#<prefix>-batch`, `#<prefix>-mode-tip`):
         * sets up the spinners and returns the function that shows what the mode asks for.
         * available() says whether batch mode applies at all (default: always).
         */
        batchSection: function (t, prefix, available) {
            var modeSelect = $('#node-input-mode');
            spinners('node-input-', Object.keys(settingsTable().ranges.batch));
            function showForMode() {
                var batch = modeSelect.val() === 'batch';
                $('#' + prefix + '-batch').toggle(batch && (!available || available()));
                $('#' + prefix + '-mode-tip').text(t('modeTip.' + (batch ? 'batch' : 'single')));
                RED.tray.resize();
            }
            modeSelect.on('change', showForMode);
            return showForMode;
        },

        propertyTypesEditor: propertyTypesEditor
    };
})();
